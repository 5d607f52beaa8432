"""The van side: a recording session wiring the serial ports (``drivers``) to the capture
journal and the store (``domain.sensing``), shared by ``maillage record`` and the Sensors mode."""
