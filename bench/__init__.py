"""Benchmarks: each module ``bench_*.py`` measures maillage against an anchor in the same run."""
