"""The travel-time engine: CSR graphs with points inserted, bounded Dijkstra, isochrones."""
