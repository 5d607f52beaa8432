"""Compiled kernels (Cython). Nothing here imports the rest of maillage.

Each kernel works on typed memoryviews of float64 arrays, states its units and
is checked against a NumPy reference in ``tests/ext``.
"""
