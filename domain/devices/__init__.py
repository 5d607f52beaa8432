"""Device shipments: purchase orders, devices and their custody, establishments, shipments,
mobile classroom kits and inventory counts. Front ends call ``service``; the read models are
``views``; ``device.COMMAND_EVENTS`` says what each event does to a device's status."""
