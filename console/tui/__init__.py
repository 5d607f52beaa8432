"""The Textual console: the app (``app.py``), one screen per file (``screens/``), widgets
(``widgets/``). Screens call the domain's services and the integration packages, never the
command line."""
