"""Files people bring in, read here and handed to the domain as lines: manufacturers'
manifests, the national school directory, beneficiaries' CSV files, OSM extracts and
open-data layers. Progress is reported through a callback (bytes read, bytes in all), so the
command line draws a bar and the console a dialog."""
