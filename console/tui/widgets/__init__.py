"""Widgets of the console: the virtual table and its row sources, the map, the sensor panels."""
