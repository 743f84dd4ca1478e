"""Name pass for parameters: canonical paths (N3, N5), checked for TF variable names.

Also :class:`ParamNaming`, how a canonical path becomes a TF variable name.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

import rc_naming
import rc_nn

from ._errors import InvalidParameterNameError, ParamNamingError, UnreachableError

__all__ = ["ParamNaming", "param_paths"]

# TF variable names allow these characters in a path component.
_VALID_TF_COMPONENT = re.compile(r"^[A-Za-z0-9_.\-]+$")
# TF root scope names (the first component) must not start with '_' or '-'.
_VALID_TF_FIRST_COMPONENT = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-]*$")


@dataclasses.dataclass(frozen=True)
class ParamNaming:
    """How a canonical path becomes a TF variable name.

    ``"predecessor"`` (default): ``a/b/weight/param``, so checkpoints of the
    predecessor library load unchanged. ``"plain"``: ``a/b/weight``.

    Examples
    --------
    >>> ParamNaming("plain").variable_name(("enc", "weight"))
    'enc/weight'
    """

    style: str = "predecessor"

    def __post_init__(self) -> None:
        if self.style not in ("predecessor", "plain"):
            raise ParamNamingError(
                f"param naming must be 'predecessor' or 'plain', got {self.style!r}"
            )

    def variable_name(self, path: tuple[str, ...]) -> str:
        """The full TF variable name of the parameter at ``path``."""
        name = "/".join(path)
        return f"{name}/param" if self.style == "predecessor" else name

    def layer_options(self, path: tuple[str, ...]) -> dict[str, str]:
        """``name_scope`` and ``param_name`` for the parameter's ``variable`` layer."""
        if self.style == "predecessor":
            return {"name_scope": "/".join(path), "param_name": "param"}
        return {"name_scope": "/".join(path[:-1]), "param_name": path[-1]}


def param_paths(
    record: rc_nn.BuildRecord,
    used: Mapping[int, None],
    unreachable: Mapping[int, rc_naming.UnreachableError],
    never_called: Callable[[], str],
) -> dict[int, tuple[str, ...]]:
    """The canonical path of every used parameter, by layer id (in the order of ``used``).

    ``unreachable`` holds rc-naming's error per unreachable parameter (its object and
    holders are handed on); ``never_called()`` is prepended to that error when not empty.
    """
    by_layer = {p.layer: p for p in record.params}
    paths: dict[int, tuple[str, ...]] = {}
    for layer in used:
        param = by_layer.get(layer)
        if param is None:
            continue
        if param.path is None:
            raise _unreachable_error(param, unreachable.get(layer), never_called())
        _check_tf_path(param.path, record.layers[layer].created_at)
        paths[layer] = param.path
    return paths


def _unreachable_error(
    param: rc_nn.ParamRecord, exc: rc_naming.UnreachableError | None, note: str
) -> UnreachableError:
    message = param.unreachable or "parameter not reachable from the root module"
    obj = exc.obj if exc is not None else None
    holders = exc.holders if exc is not None else ()
    if note:
        message = f"{note} In detail:\n{message}"
    error = UnreachableError(message, obj=obj, holders=holders)
    error.__cause__ = exc if note else None
    return error


def _check_tf_path(path: tuple[str, ...], created_at: str) -> None:
    for position, component in enumerate(path):
        if "." in component:
            # Refused by rc-nn where it is assigned; reachable only past Module.__setattr__.
            raise InvalidParameterNameError(
                f"parameter {'.'.join(path)} (created at {created_at}): the path "
                f"component {component!r} contains '.', which separates path components, so "
                "this name could belong to another parameter too. Rename the attribute or "
                "the ModuleDict key (e.g. with '_' instead of '.')."
            )
        if position == 0 and _VALID_TF_COMPONENT.match(component):
            if not _VALID_TF_FIRST_COMPONENT.match(component):
                raise InvalidParameterNameError(
                    f"parameter {'.'.join(path)} (created at {created_at}): the first path "
                    f"component {component!r} starts with {component[0]!r}, but a TensorFlow "
                    "variable name must start with a letter or digit. Rename the "
                    "attribute of the root module (e.g. without the leading underscore)."
                )
        elif not _VALID_TF_COMPONENT.match(component):
            raise InvalidParameterNameError(
                f"parameter {'.'.join(path)} (created at {created_at}): the path component "
                f"{component!r} cannot be part of a TensorFlow variable name (allowed: letters, "
                "digits, '_', '-'). Rename the attribute or the ModuleDict key."
            )
