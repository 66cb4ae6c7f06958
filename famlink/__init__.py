"""famlink: family record linkage with the families' rights built in."""

__version__ = "0.1.0"
