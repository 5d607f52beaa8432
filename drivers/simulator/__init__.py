"""A pseudo-terminal simulator of the van's sensors: scenario, byte streams, ports."""
