"""Meal rounds: municipalities and their contracts, beneficiaries (sealed personal data), rounds
and the cold chain, welfare alerts, ordering, planning and the monthly statement. Front ends
call ``service``; the read models are ``views``."""
