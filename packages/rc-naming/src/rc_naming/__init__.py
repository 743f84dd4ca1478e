"""rc-naming: name hierarchies and canonical parameter paths on networkx."""

__version__ = "0.1.0"

__all__ = ["__version__"]
