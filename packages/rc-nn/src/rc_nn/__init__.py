"""rc-nn: lazy PyTorch-like modules that describe RETURNN networks.

Nothing here imports TensorFlow: building a model only records layers.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
