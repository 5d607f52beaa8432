"""``python -m console.cli``: the same as the ``maillage`` command."""

from console.cli import entry_point

entry_point()
