"""Audit chain: tamper-evident links over the stored events, verification and checkpoints.

- ``chain``: the link formula (one function, ``chain_links``, for recorders
  and verifier) and the chain's tables. ``domain.persistence`` extends the chain
  in the transaction that inserts the events, on every write path and both
  backends, after taking the store's write lock (SQLite ``BEGIN IMMEDIATE``,
  PostgreSQL the library's ``LOCK TABLE … IN EXCLUSIVE MODE``), so concurrent
  writers queue and the chain never forks.
- ``verify``: streams both tables in pages and names the first bad position
  and its kind (modified, deleted, inserted, reordered; rewritten against a
  checkpoint), yielding progress as it goes.
- ``checkpoint``: a dated chain head, optionally signed with HMAC-SHA256.

Stores from before the chain: on first open, the recorder links every stored
event in the transaction that creates the chain tables (one pass, batches of
10,000; a few seconds per million events, writers wait meanwhile) and records
``created_at`` and ``backfilled_through`` in ``audit_chain_info``; verification
reports that those positions were linked at that date, not when written. The
decision is taken once, on the chain tables' creation: an emptied chain table
is never linked again (it is reported as deleted links). Every console writing
to a store must run this version: an older one writes events without links,
which verification reports as inserted.

What the chain cannot do: whoever can write the database can also recompute
links (the formula has no secret). The chain shows any change that was not
re-chained; a checkpoint kept elsewhere (signed) shows a re-chained rewrite of
anything up to its position. Erasure (crypto-shredding) deletes keys, never
events, so it never breaks verification.
"""
