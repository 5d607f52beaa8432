"""The serial side, knowing nothing of the domain: protocol codecs, port readers (pyserial), the
capture journal and its recovery, session bundles, sensor detection and the simulator."""
