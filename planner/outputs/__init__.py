"""What a run writes: folium HTML maps, reports and exports, always written atomically."""
