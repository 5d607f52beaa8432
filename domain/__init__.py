"""The event-sourced model: one application (``application.Maillage``) holding the aggregates of
every context, each context with one application service (``meals/service.py``,
``devices/service.py``, ``sensing/service.py``, ``audit/service.py``) and its read models
beside it (``<context>/views.py``). Never opens a port, a terminal or a user's file."""
