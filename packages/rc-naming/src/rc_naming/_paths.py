"""Rendering attribute paths as text."""

from __future__ import annotations

from rc_naming._errors import InvalidNameError

__all__ = ["render_path"]


def render_path(path: tuple[str, ...], sep: str = ".") -> str:
    """Join a path with ``sep`` ("." like PyTorch, "/" like TensorFlow).

    A component that is empty or contains ``sep`` would make the text ambiguous
    and raises :class:`InvalidNameError`.

    Examples
    --------
    >>> from rc_naming import render_path
    >>> render_path(("enc", "lin", "weight"), "/")
    'enc/lin/weight'
    """
    for part in path:
        if not part or sep in part:
            raise InvalidNameError(
                f"cannot render path {path!r} with separator {sep!r}: component {part!r} is "
                f"empty or contains {sep!r}; fix: rename that attribute or dict key, or "
                "render with another separator"
            )
    return sep.join(path)
