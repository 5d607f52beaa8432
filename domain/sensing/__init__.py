"""Sensor sessions recorded on the vans: their metadata and journal chunk hashes."""
