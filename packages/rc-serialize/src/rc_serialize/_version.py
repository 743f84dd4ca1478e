"""The version of rc-serialize (read by hatchling; written into every config's header)."""

__version__ = "0.1.0"
