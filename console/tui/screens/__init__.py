"""The console's screens, one per file: a mode per area and the dialogs they open."""
