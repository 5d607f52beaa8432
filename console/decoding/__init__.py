"""Capture journals turned into what the domain takes: decoding a journal into arrays, and
processing a stopped session's journal into recorded indicators."""
