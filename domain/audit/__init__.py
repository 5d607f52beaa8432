"""Audit chain: tamper-evident links over the stored events, verification and checkpoints."""
