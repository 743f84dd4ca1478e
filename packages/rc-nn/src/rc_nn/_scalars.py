"""Python numbers as plain builtin values and as code in RETURNN ``eval`` strings.

A scalar operand (``x * 2.5``, ``nn.clip_by_value(x, 0.0, inf)``) is written into the
code of an ``eval`` layer, which RETURNN ``eval``s. Only plain builtin numbers are written
there, by the builtin's own ``repr`` (a float/int subclass's ``__repr__`` never reaches
the code; a numpy scalar is taken as its Python value), and ``inf``/``nan`` as
``float("inf")``/``float("nan")`` (bare ``inf`` is no name in RETURNN's eval). Strings
never enter these expressions; every string value of a layer is written as a literal
by rc-serialize's one escaping path.
"""

from __future__ import annotations

import math

import numpy

__all__ = ["number_code", "plain_number"]


def plain_number(value: object) -> bool | int | float | None:
    """``value`` as a plain ``bool``/``int``/``float`` if it is a number, else ``None``.

    Numbers: bools, ints, floats, their subclasses and numpy bool/int/float scalars.

    Examples
    --------
    >>> plain_number(numpy.float32(0.5)), plain_number(numpy.int64(3)), plain_number("1")
    (0.5, 3, None)
    """
    if isinstance(value, numpy.generic):
        if not isinstance(value, numpy.bool_ | numpy.integer | numpy.floating):
            return None
        value = value.item()
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    return None


def number_code(value: bool | int | float) -> str:
    """Python code of a plain number (``float("inf")`` and ``float("nan")`` for those).

    Examples
    --------
    >>> number_code(float("-inf")), number_code(2), number_code(0.1)
    ('float("-inf")', '2', '0.1')
    """
    plain = plain_number(value)
    if plain is None:
        raise TypeError(f"not a number: {type(value).__name__}")
    if isinstance(plain, bool):
        return "True" if plain else "False"
    if isinstance(plain, int):
        return int.__repr__(plain)
    if math.isnan(plain):
        return 'float("nan")'
    if math.isinf(plain):
        return 'float("inf")' if plain > 0 else 'float("-inf")'
    return float.__repr__(plain)
