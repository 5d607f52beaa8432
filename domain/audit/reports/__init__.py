"""Audit reports made from the event log as it stood at one position.

Every report captures the chain's head first (``LogAsOf.capture``: position P
and its link), then reads only events at positions ≤ P, so that a write during
the report cannot make it inconsistent, and states P, the link and when and by
whom it was made so that anyone can check it later against the store
(``maillage audit verify``: the chain intact through P, the link at P equal).

- ``asof``: the log read up to P (aggregates as they were, events with their positions);
- ``model``: what a report is (title, what it is of, stated provenance, summary, sections);
- one module per report building a ``Report``: ``service_fait``, ``cold_chain``,
  ``welfare``, ``custody``, ``provenance``;
- ``render``: Markdown, self-contained HTML and CSV, the same for every report.

Personal data of beneficiaries stays out: counts and amounts, box and stop
numbers, alert references and file numbers (``(erased)`` once the person was
erased), never names, addresses or (for auditors) welfare texts.
"""
