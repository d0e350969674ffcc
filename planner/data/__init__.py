"""Inputs: OSM street networks per mode, point layers (read, validated, snapped), bundled samples."""
