"""The demo data set (``maillage demo``): Tours' schools and their device order, its meal rounds,
generated from a fixed seed through the domain's services."""
