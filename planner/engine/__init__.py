"""The travel-time engine: the prepared study, CSR graphs with points inserted, bounded
Dijkstra, isochrones."""
