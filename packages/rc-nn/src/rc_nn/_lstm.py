"""``LSTM`` over a spatial dim with RETURNN's native LSTM op (``rec`` unit ``nativelstm2``).

The native cell has no options for external weights: RETURNN's ``rec`` layer
creates ``W`` and ``b`` (input projection) and the cell creates ``W_re``, all
in the variable scope ``<layer>/rec/``, to which the names are relative. The
generic ``reuse_params`` option maps each of them to the output of our
parameters' ``variable`` layers (``{"layer_output": ...}``), so
the TF variables are our ``nn.Parameter`` s, named by attribute path (rule N3):
``lstm.ff_weight``, ``lstm.rec_weight``, ``lstm.bias``.

The final state comes from two ``get_last_hidden_state`` layers (keys ``h``
and ``c``); an initial state is passed as ``initial_state={"h": ..., "c": ...}``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from returnn.tensor import batch_dim, single_step_dim

from ._dims import Dim
from ._errors import AxisError, DimMismatchError
from ._init import Glorot
from ._layer_checks import dims_str, require_batch, require_dim, require_float
from ._module import Module
from ._parameter import Parameter
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["LSTM", "LstmState"]


class LstmState(NamedTuple):
    """The state of an ``LSTM``: hidden output ``h`` and cell ``c``, each [batch, out_dim].

    Example:
        >>> import rc_nn as nn
        >>> out = nn.FeatureDim("out", 3)
        >>> state = nn.LstmState(h=nn.zeros([nn.batch_dim, out]), c=nn.zeros([nn.batch_dim, out]))
        >>> state.h.dims == (nn.batch_dim, out)
        True
    """

    h: Tensor
    c: Tensor


class LSTM(Module):
    """Long short-term memory over a spatial dim (RETURNN native LSTM, ``nativelstm2``).

    Parameters (the predecessor's names): ``ff_weight`` [in_dim, 4*out_dim],
    ``rec_weight`` [out_dim, 4*out_dim] (both Glorot uniform) and ``bias``
    [4*out_dim] (zeros). The gate layout inside the ``4*out_dim`` axis is the
    one of RETURNN's native op. Called as ``lstm(x, spatial_dim=time)``, it
    returns the output [batch, time, out_dim] (in RETURNN's time-major order)
    and the final ``LstmState``.

    Example:
        >>> import rc_nn as nn
        >>> time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("out", 4)
        >>> lstm = nn.LSTM(feat, out)
        >>> [name for name, _ in lstm.named_parameters()]
        ['ff_weight', 'rec_weight', 'bias']
        >>> y, state = lstm(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time)
        >>> y.dims_set() == {nn.batch_dim, time, out}, state.c.dims == (nn.batch_dim, out)
        (True, True)
    """

    def __init__(self, in_dim: Dim, out_dim: Dim) -> None:
        super().__init__()
        for arg, dim in (("in_dim", in_dim), ("out_dim", out_dim)):
            if not isinstance(dim, Dim):
                raise TypeError(
                    f"LSTM: {arg} must be an nn.Dim, got {dim!r} (at {user_location()})"
                )
            if dim.dimension is None:
                raise DimMismatchError(
                    f"LSTM: {arg} {_dim_str(dim)} is dynamic; it must be a static feature dim, "
                    f"e.g. nn.FeatureDim('hidden', 256) (at {user_location()})"
                )
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.gates_dim = 4 * out_dim
        self.ff_weight = Parameter([in_dim, self.gates_dim], initial=Glorot())
        self.rec_weight = Parameter([out_dim, self.gates_dim], initial=Glorot())
        self.bias = Parameter([self.gates_dim], initial=0.0)

    def default_initial_state(self) -> LstmState:
        """Zeros for ``h`` and ``c``, [batch, out_dim] (what RETURNN uses when no state is given).

        Example:
            >>> import rc_nn as nn
            >>> nn.LSTM(nn.FeatureDim("i", 2), nn.FeatureDim("o", 3)).default_initial_state().h.dtype
            'float32'
        """
        dims = [batch_dim, self.out_dim]
        return LstmState(h=_zeros(dims), c=_zeros(dims))

    def forward(
        self, x: Tensor, *, spatial_dim: Dim, state: LstmState | None = None
    ) -> tuple[Tensor, LstmState]:
        """Run over ``spatial_dim`` from ``state`` (zeros if ``None``); returns output and final state."""
        what = f"LSTM({_dim_str(self.in_dim)} -> {_dim_str(self.out_dim)})"
        x = as_tensor(x, what)
        require_dim(x, self.in_dim, what)
        require_float(x, what)
        require_batch(x, what)
        if spatial_dim is single_step_dim:
            raise NotImplementedError(
                f"{what}: single-step operation (spatial_dim=nn.single_step_dim, inside nn.Loop) "
                "is not implemented: RETURNN's native LSTM inside a rec loop keeps its own state "
                "and evaluates `initial_state` before the loop, so a state carried in loop.state "
                "(prev:h, prev:c) cannot be fed to it (RETURNN fails in get_rec_initial_state). "
                "Run the LSTM over the whole spatial dim outside the loop, or write the cell with "
                f"nn.Linear and gates inside the loop (called at {user_location()})"
            )
        if not isinstance(spatial_dim, Dim):
            raise AxisError(
                f"{what}: spatial_dim must be an nn.Dim of the input, got {spatial_dim!r} "
                f"(input dims {dims_str(x.dims)}; called at {user_location()})"
            )
        if spatial_dim not in x.dims or spatial_dim.is_batch_dim() or spatial_dim is self.in_dim:
            raise AxisError(
                f"{what}: spatial_dim {_dim_str(spatial_dim)} is not a spatial dim of the input "
                f"{x!r} (its dims: {dims_str(x.dims)}; called at {user_location()})"
            )
        extra = [d for d in x.dims if d not in (batch_dim, spatial_dim, self.in_dim)]
        if extra:
            raise NotImplementedError(
                f"{what}: the input has dims {dims_str(extra)} besides batch, "
                f"{_dim_str(spatial_dim)} and {_dim_str(self.in_dim)}; RETURNN's native LSTM "
                "state and last-state layers only handle [batch, out_dim] states. Merge the "
                f"extra dims into the batch first (called at {user_location()})"
            )
        layer: dict[str, Any] = {
            "class": "rec",
            "unit": "nativelstm2",
            "from": x,
            "in_dim": self.in_dim,
            "out_dim": self.out_dim,
            "axis": spatial_dim,
            "reuse_params": {
                "map": {
                    "W": {"layer_output": self.ff_weight},
                    "W_re": {"layer_output": self.rec_weight},
                    "b": {"layer_output": self.bias},
                }
            },
        }
        if state is not None:
            layer["initial_state"] = {
                "h": self._check_state(state, "h", what),
                "c": self._check_state(state, "c", what),
            }
        # RETURNN's rec layer over an axis returns its output time-major.
        out = make_layer_tensor(
            layer,
            make_template(
                [spatial_dim, batch_dim, self.out_dim], x.dtype, feature_dim=self.out_dim
            ),
            name_hint="rec",
        )
        final = LstmState(h=self._last_state(out, "h"), c=self._last_state(out, "c"))
        return out, final

    def _check_state(self, state: LstmState, key: str, what: str) -> Tensor:
        if not isinstance(state, tuple) or len(state) != 2:
            raise TypeError(
                f"{what}: state must be an nn.LstmState(h, c), got {type(state).__name__} "
                f"(called at {user_location()})"
            )
        value = as_tensor(state[0 if key == "h" else 1], f"{what} state.{key}")
        expected = (batch_dim, self.out_dim)
        if value.dims != expected:
            raise DimMismatchError(
                f"{what}: state.{key} must have the dims {dims_str(list(expected))} in this order "
                f"(RETURNN's native LSTM takes a batch-major state), got {value!r} "
                f"(called at {user_location()})"
            )
        return value

    def _last_state(self, out: Tensor, key: str) -> Tensor:
        layer = {"class": "get_last_hidden_state", "from": out, "key": key, "out_dim": self.out_dim}
        return make_layer_tensor(
            layer,
            make_template([batch_dim, self.out_dim], out.dtype, feature_dim=self.out_dim),
            name_hint=f"state_{key}",
        )


def _zeros(dims: list[Dim]) -> Tensor:
    from ._array import zeros

    return zeros(dims)
