"""Models: filled in by the governance work."""
