"""Figures: read cubes, never train. ``style`` holds the shared look."""
