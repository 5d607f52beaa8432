"""The composition root: the two front ends and what wires drivers to the domain.

- ``cli/``: the ``maillage`` command line, one module per command group (shaped like the tree);
- ``tui/``: the Textual console — the app, its screens and widgets;
- ``recording/``: the van's recorder (ports → capture journal → sensor session), and carrying
  a session to the depot;
- ``importing/``: files brought in (manifests, the school directory, beneficiaries' CSV);
- ``decoding/``: capture journals decoded into arrays and processed into indicators;
- ``demo/``: the demo data set; ``texts/``: lines both front ends print alike;
- ``settings``, ``roles``, ``opening``: who is working, what they may do, opening the store.

See docs/ARCHITECTURE.md for the map and how a command travels.
"""
