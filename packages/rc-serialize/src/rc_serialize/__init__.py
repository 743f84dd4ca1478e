"""rc-serialize: turn a called rc-nn model into a RETURNN config."""

__version__ = "0.1.0"

__all__ = ["__version__"]
