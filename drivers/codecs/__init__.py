"""One incremental codec per sensor protocol: bytes in, frames out, no I/O."""
