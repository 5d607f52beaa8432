"""Mail to the municipalities' social centres (CCAS): the welfare alerts they must know of."""
