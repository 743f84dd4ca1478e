"""``LSTM`` over a spatial dim with RETURNN's native LSTM op (``rec`` unit ``nativelstm2``).

The native cell has no options for external weights: RETURNN's ``rec`` layer
creates ``W`` and ``b`` (input projection) and the cell creates ``W_re``, all
in the variable scope ``<layer>/rec/``, to which the names are relative. The
generic ``reuse_params`` option maps each of them to the output of our
parameters' ``variable`` layers (``{"layer_output": ...}``), so
the TF variables are our ``nn.Parameter`` s, named by attribute path (rule N3):
``lstm.param_W``, ``lstm.param_W_re``, ``lstm.param_b`` (the predecessor's names, so its
checkpoints load; rc-nn 0.1 called them ``ff_weight``, ``rec_weight``, ``bias``, declared
as renames so rc 0.1 checkpoints migrate).

The final state comes from two ``get_last_hidden_state`` layers (keys ``h``
and ``c``); an initial state is passed as ``initial_state={"h": ..., "c": ...}``.

Single-step mode (``spatial_dim=nn.single_step_dim``, one frame inside an
``nn.Loop``, the state carried by ``loop.state``): RETURNN's native LSTM inside
a rec loop keeps its own state and evaluates ``initial_state`` before the loop,
so a state from ``prev:`` cannot be fed to it. The step is therefore written
with our ops on the same parameters (``dot`` + gates in the native op's layout
``j, i, f, o``), which computes exactly what the native op computes per frame
(checked against the full-sequence LSTM in RETURNN).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from returnn.tensor import batch_dim, single_step_dim

from rc_naming import renamed

from ._array import dot, zeros
from ._dim_sites import lookalike_dims_note
from ._dimargs import dims_str, static_dim
from ._dims import Dim
from ._errors import AxisError, DimMismatchError
from ._init import Glorot
from ._layer_checks import require_batch, require_dim, require_float
from ._math import sigmoid, tanh
from ._module import Module
from ._parameter import Parameter
from ._tensor import Tensor, _dim_str, as_tensor, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["LSTM", "LstmState", "ZoneoutLSTM"]


class LstmState(NamedTuple):
    """The state of an ``LSTM``: hidden output ``h`` and cell ``c``, each [batch, out_dim].

    Examples
    --------
    >>> import rc_nn as nn
    >>> out = nn.FeatureDim("out", 3)
    >>> state = nn.LstmState(h=nn.zeros([nn.batch_dim, out]), c=nn.zeros([nn.batch_dim, out]))
    >>> state.h.dims == (nn.batch_dim, out)
    True
    """

    h: Tensor
    c: Tensor


# Version 2 = rc-nn 0.2, which took over the predecessor's (returnn_common) names.
@renamed(param_W=("ff_weight", 2), param_W_re=("rec_weight", 2), param_b=("bias", 2))
class LSTM(Module):
    """Long short-term memory over a spatial dim (RETURNN native LSTM, ``nativelstm2``).

    Parameters (the predecessor's names, so its checkpoints load): ``param_W_re``
    [out_dim, 4*out_dim], ``param_W`` [in_dim, 4*out_dim] (both Glorot uniform) and
    ``param_b`` [4*out_dim] (zeros); rc-nn 0.1 called them ``rec_weight``,
    ``ff_weight`` and ``bias`` (declared renames, so ``rc-serialize migrate`` maps them).
    The gate layout inside the ``4*out_dim`` axis is the
    one of RETURNN's native op. Called as ``lstm(x, spatial_dim=time)``, it
    returns the output [batch, time, out_dim] (in RETURNN's time-major order)
    and the final ``LstmState``. Inside an ``nn.Loop``,
    ``lstm(x_t, state=state, spatial_dim=nn.single_step_dim)`` runs one frame and
    returns ``(h, LstmState(h, c))`` (``state=None``: zeros).

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("out", 4)
    >>> lstm = nn.LSTM(feat, out)
    >>> [name for name, _ in lstm.named_parameters()]
    ['param_W_re', 'param_W', 'param_b']
    >>> y, state = lstm(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time)
    >>> y.dims_set() == {nn.batch_dim, time, out}, state.c.dims == (nn.batch_dim, out)
    (True, True)

    One frame per loop iteration:
        >>> x = nn.zeros([nn.batch_dim, time, feat])
        >>> loop = nn.Loop(axis=time)
        >>> loop.state.lstm = lstm.default_initial_state(batch_dims=[nn.batch_dim])
        >>> with loop:
        ...     h, loop.state.lstm = lstm(
        ...         loop.unstack(x),
        ...         state=loop.state.lstm,
        ...         spatial_dim=nn.single_step_dim,
        ...     )
        ...     ys = loop.stack(h)
        >>> ys.dims == (time, nn.batch_dim, out)
        True
    """

    def __init__(self, in_dim: Dim, out_dim: Dim) -> None:
        super().__init__()
        _check_lstm_dims(in_dim, out_dim, "LSTM")
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.gates_dim = 4 * out_dim
        # Assignment order as in the predecessor (it decides nothing but the listing order).
        self.param_W_re = Parameter([out_dim, self.gates_dim], initial=Glorot())
        self.param_W = Parameter([in_dim, self.gates_dim], initial=Glorot())
        self.param_b = Parameter([self.gates_dim], initial=0.0)

    def default_initial_state(self, *, batch_dims: Sequence[Dim] | None = None) -> LstmState:
        """Zeros for ``h`` and ``c``, ``[*batch_dims, out_dim]`` (what RETURNN uses when no state is given).

        ``batch_dims`` defaults to ``[nn.batch_dim]`` (the predecessor required it).

        Examples
        --------
        >>> import rc_nn as nn
        >>> lstm = nn.LSTM(nn.FeatureDim("i", 2), nn.FeatureDim("o", 3))
        >>> lstm.default_initial_state(batch_dims=[nn.batch_dim]).h.dtype
        'float32'
        """
        if batch_dims is None:
            batch_dims = [batch_dim]
        if isinstance(batch_dims, Dim) or not all(isinstance(d, Dim) for d in batch_dims):
            raise TypeError(
                f"LSTM.default_initial_state: batch_dims must be a list of nn.Dim, got "
                f"{batch_dims!r} (called at {user_location()})"
            )
        dims = [*batch_dims, self.out_dim]
        return LstmState(h=_zeros(dims), c=_zeros(dims))

    def forward(
        self,
        x: Tensor,
        *,
        spatial_dim: Dim,
        state: LstmState | None = None,
        direction: int = 1,
    ) -> tuple[Tensor, LstmState]:
        """Run over ``spatial_dim`` from ``state`` (zeros if ``None``); returns output and final state.

        With ``spatial_dim=nn.single_step_dim`` (inside ``nn.Loop``): one frame,
        returns ``(h, new_state)``. ``direction=-1`` runs backwards over the
        sequence (RETURNN ``direction: -1``; padding is respected, the output is
        in the original frame order; the "final" state is then the one after
        the first frame).
        """
        if direction not in (1, -1) or isinstance(direction, bool):
            raise ValueError(
                f"LSTM: direction must be 1 (forward) or -1 (backward), got {direction!r} "
                f"(called at {user_location()})"
            )
        what = f"{type(self).__name__}({_dim_str(self.in_dim)} -> {_dim_str(self.out_dim)})"
        x = as_tensor(x, what)
        require_dim(x, self.in_dim, what)
        require_float(x, what)
        require_batch(x, what)
        if spatial_dim is single_step_dim or spatial_dim == single_step_dim:
            if direction != 1:
                raise ValueError(
                    f"{what}: direction={direction} makes no sense for a single step "
                    f"(spatial_dim=nn.single_step_dim; called at {user_location()})"
                )
            return self._step(x, state, what)
        if not isinstance(spatial_dim, Dim):
            raise AxisError(
                f"{what}: spatial_dim must be an nn.Dim of the input, got {spatial_dim!r} "
                f"(input dims {dims_str(x.dims)}; called at {user_location()})"
            )
        if spatial_dim not in x.dims or spatial_dim.is_batch_dim() or spatial_dim is self.in_dim:
            raise AxisError(
                f"{what}: spatial_dim {_dim_str(spatial_dim)} is not a spatial dim of the input "
                f"{x!r} (its dims: {dims_str(x.dims)}; called at {user_location()})"
                + lookalike_dims_note([spatial_dim, *x.dims])
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
            "unit": self._unit,
            "from": x,
            "in_dim": self.in_dim,
            "out_dim": self.out_dim,
            "axis": spatial_dim,
            **({"direction": -1} if direction == -1 else {}),
            **({"unit_opts": self._unit_opts()} if self._unit_opts() else {}),
            "reuse_params": {
                "map": {key: {"layer_output": param} for key, param in self._reuse_map().items()}
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

    # RETURNN's rec unit and its variables (relative to the unit's scope) -> our parameters.
    _unit = "nativelstm2"

    def _unit_opts(self) -> dict[str, Any]:
        return {}

    def _reuse_map(self) -> dict[str, Parameter]:
        return {"W": self.param_W, "W_re": self.param_W_re, "b": self.param_b}

    def _step(self, x: Tensor, state: LstmState | None, what: str) -> tuple[Tensor, LstmState]:
        """One frame (inside ``nn.Loop``): the cell written with our ops and our parameters.

        ``gates = x . param_W + h . param_W_re + param_b``, split as in RETURNN's native
        op into cell input ``j`` and the input, forget and output gates ``i, f, o``
        (in this order, each ``out_dim``, no forget bias);
        ``c' = sigmoid(f) * c + sigmoid(i) * tanh(j)``, ``h' = sigmoid(o) * tanh(c')``.
        """
        if state is None:
            state = self.default_initial_state()
        h_prev = self._check_state(state, "h", what, exact_dims=False)
        c_prev = self._check_state(state, "c", what, exact_dims=False)
        if self.in_dim in h_prev.dims or self.in_dim in c_prev.dims:
            raise DimMismatchError(
                f"{what}: the state must not have the input dim {_dim_str(self.in_dim)} "
                f"(state.h {h_prev!r}; called at {user_location(3)})"
            )
        gates = dot(x, self.param_W, reduce=self.in_dim)
        gates = gates + dot(h_prev, self.param_W_re, reduce=self.out_dim) + self.param_b
        cell_in, in_gate, forget_gate, out_gate = _split_gates(gates, self.gates_dim, self.out_dim)
        c = sigmoid(forget_gate) * c_prev + sigmoid(in_gate) * tanh(cell_in)
        h = sigmoid(out_gate) * tanh(c)
        return h, LstmState(h=h, c=c)

    def _check_state(
        self, state: LstmState, key: str, what: str, *, exact_dims: bool = True
    ) -> Tensor:
        if not isinstance(state, tuple) or len(state) != 2:
            raise TypeError(
                f"{what}: state must be an nn.LstmState(h, c), got {type(state).__name__} "
                f"(called at {user_location()})"
            )
        value = as_tensor(state[0 if key == "h" else 1], f"{what} state.{key}")
        if not exact_dims:
            require_dim(value, self.out_dim, f"{what} state.{key}")
            require_float(value, f"{what} state.{key}")
            return value
        expected = (batch_dim, self.out_dim)
        if value.dims != expected:
            raise DimMismatchError(
                f"{what}: state.{key} must have the dims {dims_str(list(expected))} in this order "
                f"(RETURNN's native LSTM takes a batch-major state), got {value!r} "
                f"(called at {user_location()})" + lookalike_dims_note([*expected, *value.dims])
            )
        return value

    def _last_state(self, out: Tensor, key: str) -> Tensor:
        layer = {"class": "get_last_hidden_state", "from": out, "key": key, "out_dim": self.out_dim}
        return make_layer_tensor(
            layer,
            make_template([batch_dim, self.out_dim], out.dtype, feature_dim=self.out_dim),
            name_hint=f"state_{key}",
        )


class ZoneoutLSTM(LSTM):
    """LSTM with zoneout (Krueger et al., 2016) over a spatial dim (RETURNN unit ``zoneoutlstm``).

    The predecessor's module and names: ``param_kernel`` [in_dim + out_dim, 4*out_dim]
    (Glorot uniform) and ``param_bias`` [4*out_dim] (zeros), handed to RETURNN's
    ``lstm_cell/kernel`` and ``lstm_cell/bias`` (TensorFlow's ``LSTMCell`` layout).
    ``zoneout_factor_cell`` / ``zoneout_factor_output`` are the zoneout rates (RETURNN
    keeps the previous value with that probability in training and mixes with it by
    that factor otherwise). Called like ``nn.LSTM`` on a whole sequence; the
    single-step mode is not implemented.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 3), nn.FeatureDim("out", 4)
    >>> lstm = nn.ZoneoutLSTM(feat, out, zoneout_factor_cell=0.15, zoneout_factor_output=0.05)
    >>> [(n, [d.dimension for d in p.dims]) for n, p in lstm.named_parameters()]
    [('param_kernel', [7, 16]), ('param_bias', [16])]
    >>> y, state = lstm(nn.zeros([nn.batch_dim, time, feat]), spatial_dim=time)
    >>> y.dims_set() == {nn.batch_dim, time, out}
    True
    """

    _unit = "zoneoutlstm"

    def __init__(
        self,
        in_dim: Dim,
        out_dim: Dim,
        *,
        zoneout_factor_cell: float = 0.0,
        zoneout_factor_output: float = 0.0,
    ) -> None:
        Module.__init__(self)
        _check_lstm_dims(in_dim, out_dim, "ZoneoutLSTM")
        for arg, rate in (
            ("zoneout_factor_cell", zoneout_factor_cell),
            ("zoneout_factor_output", zoneout_factor_output),
        ):
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
                raise ValueError(f"ZoneoutLSTM: {arg} must be in [0, 1), got {rate!r}")
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.gates_dim = 4 * out_dim
        self.zoneout_factor_cell = float(zoneout_factor_cell)
        self.zoneout_factor_output = float(zoneout_factor_output)
        self.param_kernel = Parameter([in_dim + out_dim, self.gates_dim], initial=Glorot())
        self.param_bias = Parameter([self.gates_dim], initial=0.0)

    def _unit_opts(self) -> dict[str, Any]:
        return {
            "zoneout_factor_cell": self.zoneout_factor_cell,
            "zoneout_factor_output": self.zoneout_factor_output,
        }

    def _reuse_map(self) -> dict[str, Parameter]:
        return {"lstm_cell/kernel": self.param_kernel, "lstm_cell/bias": self.param_bias}

    def _step(self, x: Tensor, state: LstmState | None, what: str) -> tuple[Tensor, LstmState]:
        raise NotImplementedError(
            f"{what}: ZoneoutLSTM step by step (spatial_dim=nn.single_step_dim) is not "
            "implemented; run it over the whole sequence, or use nn.LSTM for step-wise decoding"
        )


def _check_lstm_dims(in_dim: object, out_dim: object, what: str) -> None:
    static_dim(in_dim, what, "in_dim")
    static_dim(out_dim, what, "out_dim")


def _split_gates(gates: Tensor, gates_dim: Dim, out_dim: Dim) -> tuple[Tensor, ...]:
    """Split ``4 * out_dim`` into four parts that all have ``out_dim`` (RETURNN ``split``)."""
    parts = [out_dim] * 4
    whole = make_layer_tensor(
        {"class": "split", "from": gates, "axis": gates_dim, "out_dims": parts},
        gates.template,
        name_hint="split",
    )
    results = []
    for index in range(4):
        dims = [out_dim if d is gates_dim else d for d in gates.dims]
        results.append(
            Tensor(
                make_template(dims, gates.dtype, feature_dim=out_dim),
                root=whole.root,
                name_hint=f"split_{index}",
                parent=whole,
                sub_name=str(index),
                created_at=whole.created_at,
            )
        )
    return tuple(results)


def _zeros(dims: list[Dim]) -> Tensor:
    return zeros(dims)
