"""The territory: the street network, open-data layers, and what is crossed with them."""
