"""Compiled kernels (Cython). Nothing here imports the rest of maillage.

Each kernel works on typed memoryviews (float64 arrays, or bytes for the decoders), states
its units and is checked against a NumPy or pure-Python reference in ``tests/ext``:

- ``geodesy``: haversine distances and cumulative distance along a GNSS track;
- ``frames``: bulk decoding of journal bytes (WitMotion IMU, GY-MCU90640 thermal, NMEA);
- ``filters``: biquad cascade (second-order sections), as ``scipy.signal.sosfilt``;
- ``segments``: time → distance, resampling to a distance grid, per-segment statistics;
- ``roughness``: IRI by the ASTM E1926 Golden Car, accelerometer roughness index;
- ``potholes``: Z-THRESH / Z-DIFF / STDEV(Z) detection, events, clustering across sessions;
- ``mapmatch``: HMM map-matching of GNSS fixes on a street graph;
- ``tsptw``: one van's round with time windows and a cold-chain limit, iterated local search.
"""
