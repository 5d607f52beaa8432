"""The view machinery shared by every context: the ``View`` base, the projector that keeps views
up to date from the log (exactly once, in batches), the catalogue of views and the activity
view. Each context's own read models live beside it (``domain/<context>/views.py``)."""
