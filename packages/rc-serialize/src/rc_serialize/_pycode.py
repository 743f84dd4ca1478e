"""The one escaping path: every user value that reaches written config code goes through here.

RETURNN ``exec``s the configs we write, so no input may change the structure of the
code. This module renders

* scalars (``None``, bools, ints, floats, strings, numpy scalars, subclasses of the
  builtins) as literals of the plain builtin type: the value is read through the
  builtin's own methods, so a subclass's ``__repr__`` never reaches the code;
  ``inf``/``nan`` become ``float("inf")``/``float("nan")``;
* strings as ASCII-only literals (``ascii``): RETURNN reads a config with the locale's
  encoding, so ASCII reads back the same everywhere, and no character of the value
  (newline, quote, NUL, U+2028, ...) can end the literal;
* comments as one line of printable ASCII (everything else backslash-escaped);
* dim identifiers as ASCII ``[a-z0-9_]`` names: Python normalizes identifiers with
  NFKC (``ﬁ_dim`` *is* ``fi_dim``), so only ASCII names are safe to compare for
  uniqueness.
"""

from __future__ import annotations

import keyword
import math
import re
import unicodedata

import numpy

from ._errors import RcSerializeError

__all__ = [
    "ConfigCodeError",
    "comment",
    "dim_identifier_base",
    "is_safe_identifier",
    "number_literal",
    "scalar_literal",
    "str_literal",
]


class ConfigCodeError(RcSerializeError, TypeError):
    """A value that cannot be written as config code (not a scalar, list, tuple, dict or dim)."""


def str_literal(text: str) -> str:
    """A Python string literal of ``text`` (ASCII only, double quotes where possible).

    Examples
    --------
    >>> print(str_literal('a"b\\nc'), str_literal("x²"))
    'a"b\\nc' "x\\xb2"
    """
    if not isinstance(text, str):
        raise ConfigCodeError(
            f"expected a string to write as config code, got {type(text).__name__} {text!r}"
        )
    code = ascii(str.__str__(text))  # the plain str: a subclass's __repr__ is never called
    if code.startswith("'") and '"' not in code:
        code = '"' + code[1:-1] + '"'
    return code


def number_literal(value: bool | int | float) -> str:
    """A Python literal of a bool, int or float (subclasses read as the builtin value).

    Examples
    --------
    >>> number_literal(float("inf")), number_literal(float("nan")), number_literal(1.5)
    ('float("inf")', 'float("nan")', '1.5')
    """
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        plain = float.__float__(value)
        if math.isnan(plain):
            return 'float("nan")'
        if math.isinf(plain):
            return 'float("inf")' if plain > 0 else 'float("-inf")'
        return float.__repr__(plain)
    raise ConfigCodeError(f"not a number: {type(value).__name__}")


def scalar_literal(value: object) -> str | None:
    """The literal of a scalar value, or ``None`` if ``value`` is no scalar.

    Scalars: ``None``, bools, ints, floats, strings (and their subclasses) and numpy
    scalars of those kinds (written as the plain Python value RETURNN can load).

    Examples
    --------
    >>> import numpy
    >>> scalar_literal(numpy.float32(0.5)), scalar_literal(numpy.bool_(True)), scalar_literal([])
    ('0.5', 'True', None)
    """
    kind = type(value)
    if kind is str:  # the commonest: exactly str_literal, without its checks
        code = ascii(value)
        return '"' + code[1:-1] + '"' if code[0] == "'" and '"' not in code else code
    if kind is int:
        return int.__repr__(value)  # exactly an int
    if value is None:
        return "None"
    if isinstance(value, numpy.generic):
        item = value.item()
        if isinstance(item, bool | int | float | str):
            return scalar_literal(item)
        raise ConfigCodeError(
            f"cannot write the numpy scalar {type(value).__name__} as config code "
            "(only bool, int, float and str scalars are written)"
        )
    if isinstance(value, bool | int | float):
        return number_literal(value)
    if isinstance(value, str):
        return str_literal(value)
    return None


def comment(text: str) -> str:
    """A one-line ``#`` comment: every character but printable ASCII is backslash-escaped.

    Examples
    --------
    >>> comment("Load old\\nimport os")
    '# Load old\\\\nimport os'
    """
    return "# " + "".join(ch if " " <= ch <= "~" else ascii(ch)[1:-1] for ch in text)


_NOT_IDENTIFIER_CHARS = re.compile(r"[^A-Za-z0-9_]+")


def dim_identifier_base(description: str) -> str:
    """An ASCII identifier (ending in ``_dim``) for a dim description, before deduplication.

    NFKC (Python's normalization of identifiers) maps ``x²`` to ``x2`` and ``ﬁ`` to ``fi``;
    accents are dropped (``é`` -> ``e``); every other character outside ``[A-Za-z0-9_]``
    becomes ``_``. Two descriptions may give the same base; :class:`DimNamer` dedupes.

    Examples
    --------
    >>> dim_identifier_base("x²"), dim_identifier_base("ﬁ"), dim_identifier_base("Zeit-Achse")
    ('x2_dim', 'fi_dim', 'zeit_achse_dim')
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", str.__str__(description)))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    name = _NOT_IDENTIFIER_CHARS.sub("_", text).strip("_") or "unnamed"
    if name[0].isdigit():
        name = "d" + name
    return name if name.endswith("_dim") else f"{name}_dim"


def is_safe_identifier(name: str) -> bool:
    """Whether ``name`` is an ASCII identifier and no keyword (so NFKC leaves it unchanged).

    Examples
    --------
    >>> is_safe_identifier("time_dim"), is_safe_identifier("x²_dim"), is_safe_identifier("if")
    (True, False, False)
    """
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)
