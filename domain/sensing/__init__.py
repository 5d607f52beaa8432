"""Géointelligence: sensor sessions recorded on the vans (metadata and journal chunk hashes),
processing into segment indicators, field reports, recommendations and exports. Front ends
call ``service``; the segments read model is ``views``."""
