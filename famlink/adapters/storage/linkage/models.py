"""Models: filled in by the linkage work."""
