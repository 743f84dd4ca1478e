"""``Loop``: a RETURNN ``rec`` layer with a ``unit`` subnetwork, written as a ``with`` block.

Layers made inside ``with nn.Loop(...) as loop:`` go into the rec unit and run
once per frame. Tensors from outside are read with ``base:`` (the whole tensor,
not a frame); ``loop.unstack(x)`` gives the current frame of ``x``
(``rec_unstack``); ``loop.state`` carries values from frame to frame
(``prev:`` in RETURNN, initial value via ``initial_output``); ``loop.stack(y)``
and ``loop.last(y)`` pass frames out of the loop. Parameters stay at the root
of the net dict (``variable`` layers named by canonical path) and are read with
``base:``, so a module used inside and outside a loop has one set of parameters.
"""

from __future__ import annotations

import contextlib
import types
from typing import Any

from returnn.tensor import Dim, batch_dim

import rc_naming

from ._control import (
    Block,
    BlockNet,
    ControlFlowError,
    ControlTensor,
    LayerNameOf,
    block_of,
    check_access,
    current_block,
    flatten_structure,
    make_layer_in,
    pack_structure,
)
from ._dim_sites import lookalike_dims_note
from ._errors import AxisError, DimMismatchError
from ._state import current_scope, state_of
from ._tensor import Tensor, _dim_str, as_tensor, iter_tensors, make_layer_tensor, make_template
from ._userloc import user_location

__all__ = ["Loop"]


class _LoopBlock(Block):
    kind = "loop"
    reserved = ("output", "end", "data")

    def __init__(self, loop: Loop, created_at: str) -> None:
        super().__init__(label="nn.Loop", created_at=created_at)
        self.loop = loop
        #: The ``out_spatial_dim`` of every ``nn.cum_concat_step`` of this loop, by ``id``.
        #: Their sizes depend on the loop frame (see ``_cum_concat.with_loop_frame``).
        self.cum_concat_dims: dict[int, Dim] = {}

    def fixed_names(self, used: set[int]) -> dict[int, str]:
        names: dict[int, str] = {}
        if self.loop._end is not None and id(self.loop._end) in used:
            names[id(self.loop._end)] = "end"
        carrier = self.loop._output_carrier
        if carrier is not None and id(carrier) in used:
            names[id(carrier)] = "output"
            return names
        for export in self.loop._exports:
            if id(export) in used:
                names[id(export)] = "output"
                break
        return names


class _StateLeaf:
    """One tensor of a loop state: initial value, previous frame, value of this frame."""

    def __init__(self, path: tuple[str, ...], initial: Tensor) -> None:
        self.path = path
        self.initial = initial
        self.prev: ControlTensor | None = None
        self.value: Tensor | None = None
        self.copy: Tensor | None = None
        self.read_at: str | None = None


class _State:
    def __init__(self, name: str, structure: Any, leaves: list[_StateLeaf]) -> None:
        self.name = name
        self.structure = structure
        self.leaves = leaves
        self.assigned = False


class _StateHolder:
    """``loop.state``: attribute access to the loop's carried state.

    * ``loop.state.h = init`` before the loop (or, for a new name, as the first
      assignment in the loop with a tensor that depends on nothing inside the
      loop, such as ``nn.zeros(...)``) sets the initial value;
    * ``loop.state.h`` inside the loop is the previous frame's value until a new
      value is assigned, then the new value;
    * ``loop.state.h = new`` inside the loop sets this frame's value;
    * ``loop.state.h`` after the loop is the value of the last frame.

    Values may be nested structures (tuples, named tuples such as ``nn.LstmState``,
    lists, dicts) of tensors.
    """

    def __init__(self, loop: Loop) -> None:
        object.__setattr__(self, "_loop", loop)
        object.__setattr__(self, "_states", {})

    def __setattr__(self, name: str, value: Any) -> None:
        self._loop._set_state(name, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._loop._get_state(name)

    def __contains__(self, name: str) -> bool:
        return name in self._states

    # the predecessor's loop.state also took item access and listed its keys
    def __getitem__(self, name: str) -> Any:
        return self._loop._get_state(name)

    def __setitem__(self, name: str, value: Any) -> None:
        self._loop._set_state(name, value)

    def keys(self) -> list[str]:
        """The state names, in the order they were set."""
        return list(self._states)

    def values(self) -> list[Any]:
        """The current values of the states (as ``loop.state.<name>`` reads them)."""
        return [self._loop._get_state(name) for name in self._states]

    def __len__(self) -> int:
        return len(self._states)

    def __dir__(self) -> list[str]:
        return sorted(self._states)


class Loop:
    """A loop over an axis or until an end condition (RETURNN ``rec`` layer with a ``unit``).

    ``Loop(axis=dim)`` iterates over the frames of ``dim``; ``Loop(max_seq_len=n)``
    (no axis) generates frames until ``loop.end(cond, include_eos=...)`` is true
    for every sequence, at most ``n``, and ``loop.axis`` is a new dynamic dim.

    Example (cumulative sum via state):
        >>> import rc_nn as nn
        >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 3)
        >>> x = nn.get_extern_data(nn.Data("loop_doc", dim_tags=[nn.batch_dim, time, feat]))
        >>> loop = nn.Loop(axis=time)
        >>> loop.state.acc = nn.zeros([nn.batch_dim, feat])
        >>> with loop:
        ...     loop.state.acc = loop.state.acc + loop.unstack(x)
        ...     y = loop.stack(loop.state.acc)
        >>> y.dims == (time, nn.batch_dim, feat)
        True
    """

    def __init__(
        self,
        axis: Dim | None = None,
        *,
        max_seq_len: int | Tensor | None = None,
        name: str = "loop",
    ) -> None:
        self._created_at = user_location(2)
        # The predecessor's form of max_seq_len: a scalar int tensor, e.g.
        # nn.dim_value(enc_time) * 2 (RETURNN's rec option max_seq_len_via).
        if isinstance(max_seq_len, Tensor) and (
            max_seq_len.dims or not max_seq_len.dtype.startswith("int")
        ):
            raise TypeError(
                f"nn.Loop: a max_seq_len tensor must be a scalar int (no dims, not even "
                f"batch; e.g. nn.dim_value(time) * 2), got {max_seq_len!r} "
                f"(at {self._created_at})"
            )
        if axis is not None and not isinstance(axis, Dim):
            raise AxisError(
                f"nn.Loop: axis must be an nn.Dim (e.g. the time dim of the input), got {axis!r} "
                f"(at {self._created_at})"
            )
        if axis is not None and axis.is_batch_dim():
            raise AxisError(f"nn.Loop: cannot loop over the batch dim (at {self._created_at})")
        if (
            not isinstance(max_seq_len, Tensor)
            and max_seq_len is not None
            and (
                not isinstance(max_seq_len, int)
                or isinstance(max_seq_len, bool)
                or max_seq_len <= 0
            )
        ):
            raise TypeError(
                f"nn.Loop: max_seq_len must be a positive int, got {max_seq_len!r} "
                f"(at {self._created_at})"
            )
        self.name = name
        self.max_seq_len = max_seq_len
        self._given_axis = axis
        #: The dim the loop runs over: the given axis, else a new dynamic dim.
        self.axis: Dim = axis if axis is not None else Dim(None, name=name, kind=Dim.Types.Spatial)
        self.block = _LoopBlock(self, self._created_at)
        self.state = _StateHolder(self)
        self._root: rc_naming.Root | None = None
        self._container: ControlTensor | None = None
        self._exit_stack: contextlib.ExitStack | None = None
        self._status = "new"  # "new", "open", "closed"
        self._end: Tensor | None = None
        self._exports: list[Tensor] = []
        self._iteration: Tensor | None = None
        self._frame_index_tensor: Tensor | None = None
        self._last_of: dict[int, Tensor] = {}
        #: The rec unit's "output" layer when no export can be it (see _ensure_output_carrier).
        self._output_carrier: Tensor | None = None

    def __repr__(self) -> str:
        return f"<nn.Loop over {_dim_str(self.axis)} created at {self._created_at}>"

    # -- with-block ----------------------------------------------------------------------

    def __enter__(self) -> Loop:
        if self._status != "new":
            raise ControlFlowError(
                f"{self!r} was already used in a with-block; create a new nn.Loop for every loop "
                f"(at {user_location()})"
            )
        root = self._root or rc_naming.current_root()
        self._root = root
        self.block.parent = current_block(root)
        layer: dict[str, Any] = {"class": "rec", "from": [], "unit": BlockNet(self.block)}
        layer["axis"] = self.axis
        if isinstance(self.max_seq_len, Tensor):
            check_access([self.max_seq_len], self.block.parent, "nn.Loop max_seq_len")
            layer["max_seq_len_via"] = self.max_seq_len
        elif self.max_seq_len is not None:
            layer["max_seq_len"] = self.max_seq_len
        container = ControlTensor(
            make_template([self.axis]),
            root=root,
            role="loop",
            layer_dict=layer,
            name_hint=self.name,
            created_at=self._created_at,
        )
        container.node = state_of(root).tree.add(current_scope(root), self.name, payload=container)
        self._container = container
        self.block.container = container
        stack = contextlib.ExitStack()
        stack.enter_context(self.block.opened(root, self.name))
        self._exit_stack = stack
        self._status = "open"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        assert self._exit_stack is not None
        self._exit_stack.close()
        self._status = "closed"
        if exc_type is not None:
            return
        if self._given_axis is None and self._end is None:
            raise ControlFlowError(
                f"{self!r}: a loop without axis needs an end condition: call "
                "loop.end(condition, include_eos=...) inside the loop (and give max_seq_len)"
            )
        for state in self._states().values():
            for leaf in state.leaves:
                if leaf.prev is None:
                    continue
                if leaf.value is None:
                    raise ControlFlowError(
                        f"{self!r}: state {self._leaf_name(state, leaf)!r} is read inside the loop "
                        f"(its previous frame, at {leaf.read_at}) but never assigned a new value; "
                        f"assign loop.state.{state.name} = ... inside the loop"
                    )
                self._make_state_copy(state, leaf)

    def _states(self) -> dict[str, _State]:
        states: dict[str, _State] = self.state.__dict__["_states"]
        return states

    def _require_open(self, what: str) -> None:
        if self._status != "open":
            when = "before" if self._status == "new" else "after"
            raise ControlFlowError(
                f"loop.{what} must be called inside `with loop:`, not {when} it "
                f"({self!r}; at {user_location(3)})"
            )

    @property
    def _scope(self) -> rc_naming.NameNode:
        assert self.block.node is not None
        return self.block.node

    @property
    def _parent_scope(self) -> rc_naming.NameNode:
        assert self._container is not None and self._container.node is not None
        parent = self._container.node.parent
        assert parent is not None
        return parent

    # -- frames in and out ---------------------------------------------------------------

    def unstack(self, x: Tensor) -> Tensor:
        """The current frame of ``x`` along the loop's axis (RETURNN ``rec_unstack``).

        ``x`` is a tensor from outside the loop that has the loop's axis.

        Examples
        --------
        >>> import rc_nn as nn
        >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
        >>> x = nn.zeros([nn.batch_dim, time, feat])
        >>> with nn.Loop(axis=time) as loop:
        ...     x_t = loop.unstack(x)
        ...     _ = loop.stack(x_t)
        >>> x_t.dims == (nn.batch_dim, feat)
        True
        """
        self._require_open("unstack()")
        x = as_tensor(x, "loop.unstack", loop_read=False)
        if self._given_axis is None:
            raise AxisError(
                f"loop.unstack: {self!r} has no axis (it runs until loop.end()); give the loop "
                f"the axis to iterate over: nn.Loop(axis=...) (at {user_location()})"
            )
        if self.axis not in x.dims:
            raise AxisError(
                f"loop.unstack: {x!r} has no dim {_dim_str(self.axis)} (the loop's axis); its dims: "
                f"{', '.join(_dim_str(d) for d in x.dims)} (at {user_location()})"
                + lookalike_dims_note([self.axis, *x.dims])
            )
        block = block_of(x)
        if block is self.block or (block is not None and block.is_inside(self.block)):
            raise ControlFlowError(
                f"loop.unstack: {x!r} (created at {x.created_at}) is computed inside the loop; "
                f"unstack tensors from outside the loop (at {user_location()})"
            )
        dims = [d for d in x.dims if d != self.axis]
        feature = x.feature_dim if x.feature_dim in dims else None
        layer = {"class": "rec_unstack", "from": x, "axis": self.axis}
        return make_layer_in(
            self._scope,
            layer,
            make_template(dims, x.dtype, sparse_dim=x.sparse_dim, feature_dim=feature),
            name_hint="unstack",
            root=self._root_of(x),
        )

    def stack(self, y: Tensor) -> Tensor:
        """All frames of ``y`` (a tensor computed in the loop), stacked along ``loop.axis``.

        The result is a tensor outside the loop with dims ``[loop.axis, *y.dims]``
        (RETURNN's rec output is time-major).
        """
        self._require_open("stack()")
        y = self._own_tensor(y, "stack")
        copy = make_layer_in(
            self._scope,
            {"class": "copy", "from": y, "is_output_layer": True},
            y.template,
            name_hint=y.name_hint,
            root=y.root,
            role="loop_stack",
        )
        self._exports.append(copy)
        self._ensure_output_carrier()
        dims = [self.axis, *y.dims]
        stacked = ControlTensor(
            make_template(dims, y.dtype, sparse_dim=y.sparse_dim, feature_dim=y.feature_dim),
            root=y.root,
            role="stack",
            name_hint=y.name_hint,
            alias=copy,
            created_at=user_location(2),
        )
        stacked.block = self.block.parent
        stacked.outside_of = self.block
        stacked.extra_deps = [self._container_tensor()]
        return stacked

    def last(self, y: Tensor) -> Tensor:
        """The value of ``y`` (computed in the loop) in the last frame of each sequence.

        RETURNN ``rec_last_output`` on a copy of ``y`` with ``need_last``. Also
        usable after the ``with`` block.
        """
        if self._status == "new":
            self._require_open("last()")
        y = self._own_tensor(y, "last")
        known = self._last_of.get(id(y))
        if known is not None:
            return known
        copy = make_layer_in(
            self._scope,
            {"class": "copy", "from": y, "need_last": True},
            y.template,
            name_hint=f"{y.name_hint}_last",
            root=y.root,
            role="loop_last",
        )
        self._exports.append(copy)
        self._ensure_output_carrier()
        layer = {
            "class": "rec_last_output",
            "rec_layer": self._container_tensor(),
            "sub_layer_name": LayerNameOf(copy),
        }
        out = make_layer_in(
            self._parent_scope,
            layer,
            y.template,
            name_hint=f"{y.name_hint}_last",
            root=y.root,
            role="last",
        )
        assert isinstance(out, ControlTensor)
        out.extra_deps = [copy]
        out.outside_of = self.block
        self._last_of[id(y)] = out
        return out

    def end(self, condition: Tensor, *, include_eos: bool) -> Tensor:
        """Declare the end condition (a bool per sequence) of a loop without axis.

        ``include_eos``: whether the frame where ``condition`` first becomes true is
        part of ``stack()``/``last()``.

        With ``include_eos=False`` a sequence whose condition is true in the first frame
        has zero frames. That works while some sequence of the batch has a frame; when
        none has, RETURNN's TF backend fails at run time for a loop whose frames are
        stacked ("TensorArray has size zero": it cannot read an empty TensorArray with a
        batch dim). Use ``include_eos=True`` if that can happen.
        """
        self._require_open("end()")
        condition = as_tensor(condition, "loop.end", loop_read=False)
        if self._end is not None:
            raise ControlFlowError(
                f"loop.end() was already called at {self._end.created_at}; a loop has one end "
                f"condition (combine conditions with | ; at {user_location()})"
            )
        if condition.dtype != "bool" or any(d != batch_dim for d in condition.dims):
            raise DimMismatchError(
                f"loop.end: the condition must be a bool tensor with dims [batch] or [], got "
                f"{condition!r} (at {user_location()})"
            )
        end = make_layer_in(
            self._scope,
            {"class": "copy", "from": condition},
            condition.template,
            name_hint="end",
            root=condition.root,
            role="loop_end",
        )
        self._end = end
        container = self._container_tensor()
        assert container.layer_dict is not None
        container.layer_dict["include_eos"] = bool(include_eos)
        container.extra_deps.append(end)
        self._ensure_output_carrier()
        return end

    def _ensure_output_carrier(self) -> None:
        """Give an end-driven loop an "output" layer without other dynamic dims when needed.

        RETURNN names the rec layer's own output after the unit's "output" layer. For a loop
        without axis (run until ``loop.end``) RETURNN reads the sequence lengths of that
        output from its first dynamic axis, which is only the loop's axis when the frame has
        no dynamic dim itself: a stacked frame that keeps a dynamic dim (e.g. the input's
        time) fails in RETURNN ("axis 0 has no dyn size"). Then the unit's "output" is a copy
        of the end flag, and every export is read as ``loop/<name>``.
        """
        if self._given_axis is not None or self._end is None or self._output_carrier is not None:
            return
        if not any(
            d not in (batch_dim, self.axis) and d.dimension is None
            for export in self._exports
            for d in export.dims
        ):
            return
        end = self._end
        carrier = make_layer_in(
            self._scope,
            {"class": "copy", "from": end},
            end.template,
            name_hint="end_output",
            root=end.root,
            role="loop_output",
        )
        self._output_carrier = carrier
        self._container_tensor().extra_deps.append(carrier)

    @property
    def iteration(self) -> Tensor:
        """The frame index inside the loop (RETURNN ``:i``), int32 scalar.

        Examples
        --------
        >>> import rc_nn as nn
        >>> time = nn.SpatialDim("time")
        >>> x = nn.zeros([nn.batch_dim, time])
        >>> with nn.Loop(axis=time) as loop:
        ...     _ = loop.unstack(x)
        ...     i = loop.iteration
        ...     _ = loop.stack(i)
        >>> i.dtype, i.dims
        ('int32', ())
        """
        self._require_open("iteration")
        if self._iteration is None:
            self._iteration = make_layer_in(
                self._scope,
                {"class": "copy", "from": ":i"},
                make_template([], "int32"),
                name_hint="i",
                root=self._container_tensor().root,
            )
        return self._iteration

    def _frame_index(self) -> Tensor:
        """The frame index as a tensor that RETURNN can compute outside the loop too.

        Same values as :attr:`iteration`, but for a loop over an axis it is
        ``rec_unstack`` of ``range_over_dim(axis)``: RETURNN moves it out of the loop
        (as [axis]) together with the layers computed from it, whereas ``:i`` keeps
        them in the loop, where they cannot read a ``cum_concat`` moved out of it
        (see ``_cum_concat.with_loop_frame``). A loop without axis has only ``:i``.
        """
        if self._given_axis is None:
            return self.iteration
        self._require_open("_frame_index()")
        if self._frame_index_tensor is None:
            root = self._container_tensor().root
            positions = make_layer_in(
                self._parent_scope,
                {"class": "range_in_axis", "from": [], "axis": self.axis, "dtype": "int32"},
                make_template([self.axis], "int32"),
                name_hint=f"{self.name}_frames",
                root=root,
            )
            self._frame_index_tensor = make_layer_in(
                self._scope,
                {"class": "rec_unstack", "from": positions, "axis": self.axis},
                make_template([], "int32"),
                name_hint="frame",
                root=root,
            )
        return self._frame_index_tensor

    # -- state ---------------------------------------------------------------------------

    def _set_state(self, name: str, value: Any) -> None:
        states = self._states()
        state = states.get(name)
        leaves = flatten_structure(value)
        for path, leaf in leaves:
            if not isinstance(leaf, Tensor):
                raise TypeError(
                    f"loop.state.{name}: state values must be nn.Tensor objects or nested "
                    f"structures of them; {'.'.join((name, *path))} is {type(leaf).__name__} "
                    f"{leaf!r:.60} (at {user_location(3)})"
                )
        if state is None:
            if self._status == "closed":
                raise ControlFlowError(
                    f"loop.state.{name}: the loop is closed, a new state cannot be added "
                    f"(at {user_location(3)})"
                )
            for _path, leaf in leaves:
                self._check_initial(name, leaf)
            states[name] = _State(
                name, value, [_StateLeaf(p, _initial_layer(t, name)) for p, t in leaves]
            )
            return
        if self._status == "new":
            if [p for p, _ in leaves] != [leaf.path for leaf in state.leaves]:
                raise DimMismatchError(
                    f"loop.state.{name}: the new initial value has another structure than the "
                    f"old one (at {user_location(3)})"
                )
            for (_path, tensor), leaf in zip(leaves, state.leaves, strict=True):
                self._check_initial(name, tensor)
                leaf.initial = _initial_layer(tensor, name)
            state.structure = value
            return
        if self._status == "closed":
            raise ControlFlowError(
                f"loop.state.{name} cannot be assigned after the loop ({self!r}; at "
                f"{user_location(3)})"
            )
        paths = [p for p, _ in leaves]
        expected = [leaf.path for leaf in state.leaves]
        if paths != expected and sorted(paths) == sorted(expected):
            # The same entries in another order (e.g. a dict/nn.LayerState filled in another
            # order than the initial one): matched by path, as the predecessor (dm-tree) did.
            by_path = dict(leaves)
            leaves = [(p, by_path[p]) for p in expected]
            paths = expected
        if paths != expected:
            raise DimMismatchError(
                f"loop.state.{name}: the assigned value has the structure "
                f"{['.'.join(p) or '<tensor>' for p in paths]}, the initial value "
                f"{['.'.join(p) or '<tensor>' for p in expected]} (at {user_location(3)})"
            )
        for (_path, tensor), leaf in zip(leaves, state.leaves, strict=True):
            full = self._leaf_name(state, leaf)
            if set(tensor.dims) != set(leaf.initial.dims) or tensor.dtype != leaf.initial.dtype:
                raise DimMismatchError(
                    f"loop.state.{full}: the new value {tensor!r} does not match the initial value "
                    f"{leaf.initial!r} (created at {leaf.initial.created_at}); a state keeps its "
                    f"dims and dtype from frame to frame (at {user_location(3)})"
                )
            # Inside a masked computation of this loop, its values leave through the state.
            where = current_block(tensor.root)
            if where is None or where.kind != "masked" or where.parent is not self.block:
                where = self.block
            check_access([tensor], where, f"loop.state.{full}")
            leaf.value = tensor
        state.assigned = True

    def _check_initial(self, name: str, tensor: Tensor) -> None:
        block = block_of(tensor)
        if block is not None and block.is_inside(self.block):
            # A first assignment inside the loop: fine for a tensor that depends on
            # nothing of the loop (e.g. nn.zeros(...)); it is moved before the loop.
            deps_inside = [
                t
                for t in _layer_inputs(tensor)
                if (b := block_of(t)) is not None and b.is_inside(self.block)
            ]
            if (
                block is self.block
                and not deps_inside
                and tensor.node is not None
                and (tensor.node.parent is self._scope)
            ):
                state_of(tensor.root).tree.move(tensor.node, self._parent_scope)
                return
            raise ControlFlowError(
                f"loop.state.{name}: the first assignment sets the initial value, but {tensor!r} "
                f"is computed from values of the loop. Assign the initial value before "
                f"`with loop:` (e.g. loop.state.{name} = nn.zeros(...)), then the new value inside "
                f"(at {user_location(4)})"
            )
        # Where the loop runs (for a loop not entered yet: where it is being set up).
        run_block = self.block.parent if self._status != "new" else current_block(tensor.root)
        if block is not None and (run_block is None or not run_block.is_inside(block)):
            raise ControlFlowError(
                f"loop.state.{name}: the initial value {tensor!r} belongs to {block.describe()} "
                f"and is not visible where the loop runs (at {user_location(4)})"
            )

    def _get_state(self, name: str) -> Any:
        state = self._states().get(name)
        if state is None:
            known = ", ".join(sorted(self._states())) or "none"
            raise AttributeError(
                f"loop.state has no state {name!r} (known: {known}); set its initial value first: "
                f"loop.state.{name} = ... (at {user_location(3)})"
            )
        if self._status == "new":
            return state.structure
        if self._status == "closed":
            if not state.assigned:
                raise ControlFlowError(
                    f"loop.state.{name} was never assigned inside {self!r}, so it has no last "
                    f"frame (at {user_location(3)})"
                )
            return pack_structure(
                state.structure,
                iter(self.last(leaf.value) for leaf in state.leaves if leaf.value is not None),
            )
        leaves: list[Tensor] = []
        for leaf in state.leaves:
            if leaf.value is not None:
                leaves.append(leaf.value)
                continue
            if leaf.prev is None:
                prev = ControlTensor(
                    leaf.initial.template,
                    root=leaf.initial.root,
                    role="prev",
                    name_hint=f"prev_{self._leaf_name(state, leaf)}",
                    alias_prefix="prev:",
                    created_at=user_location(3),
                )
                prev.block = self.block
                leaf.prev = prev
                leaf.read_at = prev.created_at
            leaves.append(leaf.prev)
        return pack_structure(state.structure, iter(leaves))

    @staticmethod
    def _leaf_name(state: _State, leaf: _StateLeaf) -> str:
        return "_".join((state.name, *leaf.path))

    def _make_state_copy(self, state: _State, leaf: _StateLeaf) -> None:
        assert leaf.value is not None and leaf.prev is not None
        layer: dict[str, Any] = {
            "class": "copy",
            "from": leaf.value,
            "initial_output": leaf.initial,
        }
        template = leaf.value.template
        if leaf.value.dims != leaf.prev.dims and leaf.value.dims_set() == leaf.prev.dims_set():
            # RETURNN's template of prev:x is the state layer's own output. The layers that
            # read the previous frame were built with the initial value's dim order, so the
            # state layer must keep that order, whatever order the new value came in (e.g. a
            # Linear moves its output dim last).
            layer = {
                "class": "transpose",
                "from": leaf.value,
                "perm": list(leaf.prev.dims),
                "initial_output": leaf.initial,
            }
            template = leaf.prev.template
        copy = make_layer_in(
            self._scope,
            layer,
            template,
            name_hint=self._leaf_name(state, leaf),
            root=leaf.value.root,
            role="loop_state",
        )
        leaf.copy = copy
        leaf.prev.alias = copy
        leaf.prev.extra_deps = [copy]

    # -- helpers -------------------------------------------------------------------------

    def _container_tensor(self) -> ControlTensor:
        assert self._container is not None
        return self._container

    def _root_of(self, x: Tensor) -> rc_naming.Root:
        root = self._container_tensor().root
        rc_naming.check_same_root(root, x.root, what=f"{x!r} used in {self!r}")
        return root

    def _own_tensor(self, y: object, what: str) -> Tensor:
        y = as_tensor(y, f"loop.{what}", loop_read=False)
        if block_of(y) is not self.block:
            raise ControlFlowError(
                f"loop.{what}: {y!r} (created at {y.created_at}) is not computed in this loop's "
                f"frame ({self!r}); {what}() takes a per-frame tensor of the loop itself "
                f"(at {user_location(3)})"
            )
        return y


def loop_of_block(block: Block) -> Loop | None:
    """The ``nn.Loop`` whose frame ``block`` is, else ``None``."""
    return block.loop if isinstance(block, _LoopBlock) else None


def _initial_layer(tensor: Tensor, name: str) -> Tensor:
    """``tensor`` as a layer that a state's ``initial_output`` can name.

    The previous frame of an outer loop's state (``prev:h``) is no layer of its own;
    RETURNN fails resolving ``initial_output: "base:prev:h"`` of a nested loop (KeyError
    'prev:h' while constructing the templates), so it is copied into a layer of the outer
    frame first.
    """
    if isinstance(tensor, ControlTensor) and tensor.alias_prefix == "prev:":
        return make_layer_tensor(
            {"class": "copy", "from": tensor}, tensor.template, name_hint=f"{name}_initial"
        )
    return tensor


def _layer_inputs(tensor: Tensor) -> list[Tensor]:
    if tensor.layer_dict is None:
        return []
    return list(iter_tensors(list(tensor.layer_dict.values())))
