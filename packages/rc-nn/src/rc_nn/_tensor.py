"""The lazy tensor: a RETURNN layer (or input) plus the template of its output.

A ``Tensor`` never holds values. It records the RETURNN layer dict that
computes it (other tensors appear in the dict as objects, not names) and the
output template (dims, dtype, sparse dim) that rc-nn infers itself, without
TensorFlow. Layer names are only decided at serialization.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from returnn.tensor import Dim
from returnn.tensor import Tensor as Template

import rc_naming

from ._data_view import data_view
from ._dim_sites import lookalike_dims_note
from ._errors import AxisError, DimMismatchError, NotATensorError, RcNnError, TensorCopyError
from ._state import OutputMark, current_scope, state_of
from ._upcalls import control_flow, operators
from ._userloc import creation_site, user_location

__all__ = [
    "LayerDict",
    "Template",
    "Tensor",
    "common_template",
    "iter_tensors",
    "make_layer_tensor",
    "make_template",
]

LayerDict = dict[str, Any]


def make_template(
    dims: Sequence[Dim],
    dtype: str = "float32",
    *,
    sparse_dim: Dim | None = None,
    feature_dim: Dim | None = None,
    name: str = "output",
) -> Template:
    """A RETURNN tensor template with the given dims (the output description of a layer).

    Examples
    --------
    >>> from returnn.tensor import batch_dim
    >>> make_template([batch_dim]).dims == (batch_dim,)
    True
    """
    if feature_dim is not None and feature_dim not in dims:
        feature_dim = None
    return Template(
        name, dims=list(dims), dtype=dtype, sparse_dim=sparse_dim, feature_dim=feature_dim
    )


# How RETURNN's Tensor.get_common_data matches the dims of its inputs (Dim.is_equal options;
# ``broadcast_matches`` is added only under behavior_version < 11).
_COMMON_DIM_MATCHING = {
    "ignore_feature_dim": False,
    "treat_feature_as_spatial": True,
    "allow_same_spatial_dim": True,
    "undefined_matches": True,
    "derived_matches": True,
}


def _dims_match(tag: Dim, other: Dim, opts: dict[str, bool]) -> bool:
    """``tag.is_equal(other, **opts)`` as under the emitted config's behavior version.

    RETURNN's behavior version is process-global and unset (0) while a model is built, but
    the config sets a newer one (>= 16: "simple equality"): then two different dims are
    never equal when one of them was created by the user (not auto-generated), even with
    the loose options of get_common_data. Under version 0, ``allow_same_spatial_dim`` makes
    any two static dims of the same size match (two different ``FeatureDim("a", 4)`` and
    ``FeatureDim("b", 4)`` would be broadcast into one). Everything else is the same.
    """
    if not tag.is_equal(other, **opts):
        return False
    if not opts or tag is other:
        return True
    if tag.kind == Dim.Types.Batch and other.kind == Dim.Types.Batch:
        return True
    if tag.get_same_derived_base(same_dim=True) is other.get_same_derived_base(same_dim=True):
        if tag.get_same_base() is not other.get_same_base() and (
            tag.dimension is None or tag.dimension != other.dimension
        ):
            # RETURNN matches a dim with one derived from it (time, ⌈time/2⌉) when it
            # broadcasts, and then fails: they are different axes of different sizes.
            raise DimMismatchError(
                f"cannot broadcast {_dim_str(tag)} together with {_dim_str(other)}: one is "
                f"derived from the other (slice, pad, conv, pool, window, ...) and has another "
                f"size, and RETURNN would take them for the same axis (at {user_location(2)}). "
                "Reduce one of them away first, or use nn.replace_dim to give a tensor a "
                "new, unrelated dim."
            )
        return True
    return bool(tag.auto_generated and other.auto_generated)


def _existing_dim(dim: Dim, tags: Sequence[Dim]) -> Dim | None:
    """RETURNN's Dim.get_existing_tag_from_collection with the matching of get_common_data."""
    for opts in ({}, _COMMON_DIM_MATCHING):  # prefer the strict match (as RETURNN does)
        for tag in tags:
            if _dims_match(tag, dim, opts):
                return tag
    return None


def common_template(templates: Sequence[Template], *, name: str = "output") -> Template:
    """The template all ``templates`` broadcast to, as RETURNN's layers compute it.

    This is RETURNN's ``Tensor.get_common_data`` (used by ``combine``, ``compare``,
    ``switch``, ``concat``) with the dim matching of the emitted config's behavior version
    (see ``_dims_match``): start from the first template with the most dims, add each
    missing dim where RETURNN puts new dims.

    Examples
    --------
    >>> from returnn.tensor import Dim, batch_dim
    >>> a, b = Dim(4, name="a"), Dim(4, name="b")  # same size, different dims
    >>> common_template([make_template([batch_dim, a]), make_template([b])]).dims == (
    ...     batch_dim, a, b)
    True
    """
    assert templates
    most = max(t.batch_ndim for t in templates)
    common = next(t for t in templates if t.batch_ndim == most).copy_template(name=name)
    # Dim.get_all_dimension_tags: the dims of all templates, each matched at most once per
    # template (two equal dims of one template stay two)
    all_dims: list[Dim] = []
    for template in templates:
        available = list(all_dims)
        for dim in template.dims:
            existing = _existing_dim(dim, available)
            if existing is None:
                all_dims.append(dim)
                continue
            available.remove(existing)
            if existing.undefined and not dim.undefined and dim.dimension == existing.dimension:
                all_dims[all_dims.index(existing)] = dim
    for dim in all_dims:
        existing = _existing_dim(dim, common.dims)
        if existing is None:
            axis = common.get_default_new_axis_for_dim_tag(dim)
            common = common.copy_add_dim_by_tag(dim, unbroadcast=True, axis=axis)
        elif dim != existing:
            axis = common.dims.index(existing)
            common = common.copy_template_replace_dim_tag(axis=axis, new_dim_tag=dim)
    # A feature dim added to a sparse template becomes a spatial *copy* of it (same_as the
    # original). RETURNN's layer output has that copy too, but it equals the original; the
    # emitted config must name the original (a copy would be written as a new, unrelated dim).
    for axis, dim in enumerate(common.dims):
        if not any(dim is d for d in all_dims):
            base = dim.get_same_base()
            original = next((d for d in all_dims if d.get_same_base() is base), None)
            if original is not None and original is not dim:
                common = common.copy_template_replace_dim_tag(axis=axis, new_dim_tag=original)
    return common


# Creation order of all tensors; serialization orders layers by it.
_creation_counter = itertools.count()


# Output and loss names become RETURNN layer names and TF name scopes: "/" separates
# scopes, ":" starts RETURNN's prefixes (base:, prev:, data:), spaces are invalid in TF.
_MARK_NAME = re.compile(r"[A-Za-z0-9.][A-Za-z0-9_.\-]*\Z")


def _check_mark_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not _MARK_NAME.match(name):
        suggestion = re.sub(r"[^A-Za-z0-9_.\-]+", "_", str(name)).strip("_") or "name"
        raise RcNnError(
            f"{what}: invalid name {name!r} (at {user_location(3)}): RETURNN layer and TF scope "
            "names take letters, digits, '_', '.' and '-' only (no '/', ':' or spaces); "
            f"e.g. {suggestion!r}"
        )


class DimsSet(frozenset[Dim]):
    """The set of a tensor's dims (``x.dims_set``); calling it returns itself.

    The predecessor's ``dims_set`` was a property and rc-nn's a method: both spellings work.
    """

    __slots__ = ()

    def __call__(self) -> DimsSet:
        return self


class Tensor:
    """A lazy tensor: the output of one RETURNN layer, an extern input, or a parameter.

    Create tensors with rc-nn operations, never directly. The dims are
    ``returnn.tensor.Dim`` objects; arithmetic broadcasts by dims.

    Examples
    --------
    >>> import rc_nn as nn
    >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
    >>> x = nn.get_extern_data(nn.Data("tensor_doc", dim_tags=[nn.batch_dim, time, feat]))
    >>> (x * 2.0).dims == (nn.batch_dim, time, feat)
    True
    """

    __slots__ = (
        "__weakref__",
        "_data_view",
        "created_at",
        "expr",
        "extern_name",
        "layer_dict",
        "name_hint",
        "node",
        "parent",
        "root",
        "seq",
        "sub_name",
        "template",
    )

    template: Template
    layer_dict: LayerDict | None
    name_hint: str
    node: rc_naming.NameNode | None
    root: rc_naming.Root
    created_at: str
    extern_name: str | None
    parent: Tensor | None
    sub_name: str | None
    seq: int  # creation order, for deterministic output order
    # The backend-neutral expression of an ``eval`` layer rc-nn wrote (a side field, never
    # an option: the TF config does not see it). Set only by rc-nn's eval producers, read
    # with ``getattr(t, "expr", None)`` (unset on all other tensors). See ``LayerRecord.expr``.
    expr: tuple[Any, ...]

    def __init__(
        self,
        data: Template,
        *,
        root: rc_naming.Root,
        layer_dict: LayerDict | None = None,
        name_hint: str = "layer",
        node: rc_naming.NameNode | None = None,
        created_at: str | None = None,
        extern_name: str | None = None,
        parent: Tensor | None = None,
        sub_name: str | None = None,
    ) -> None:
        self.template = data
        self._data_view: Template | None = None
        self.root = root
        self.layer_dict = layer_dict
        self.name_hint = name_hint
        self.node = node
        self.created_at = created_at if created_at is not None else user_location(2)
        self.extern_name = extern_name
        self.parent = parent
        self.sub_name = sub_name
        self.seq = next(_creation_counter)

    # -- the template ------------------------------------------------------------------

    @property
    def data(self) -> Template:
        """The output as RETURNN's TF layers describe it (the predecessor's ``Tensor.data``).

        A version-1 ``returnn.tensor.Tensor`` with the time axis (``time_dim_axis``) and
        feature axis (``feature_dim_axis``) that RETURNN's layer gives this output: each
        layer's own rule (e.g. ``rec`` runs over its time axis, ``merge_dims`` of the time
        dim with the feature dim has no time axis, ``dot`` keeps its first input's time
        dim), else RETURNN's default (time: the first dynamic spatial dim; feature: the
        last static dim that is not batch or time). The feature axis is RETURNN's, which
        can differ from rc-nn's :attr:`feature_dim`. It is a read-only view made on first
        use: changing it does not change the tensor. rc-nn itself works on
        :attr:`template` (version 2, no time axis); prefer naming dims over axis numbers.

        Examples
        --------
        >>> import rc_nn as nn
        >>> time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
        >>> x = nn.get_extern_data(nn.Data("tensor_data_doc", dim_tags=[nn.batch_dim, time, feat]))
        >>> y = x * 2.0
        >>> y.data.time_dim_axis, y.data.dims[y.data.time_dim_axis] is time
        (1, True)
        >>> merged, _ = nn.merge_dims(x, axes=[time, feat])
        >>> merged.data.time_dim_axis is None  # RETURNN: time merged into the feature
        True
        """
        if self._data_view is None:
            return data_view(self, Tensor)
        return self._data_view

    @property
    def dims(self) -> tuple[Dim, ...]:
        """The dims in order (``returnn.tensor.Dim``)."""
        dims: tuple[Dim, ...] = self.template.dims
        return dims

    @property
    def dtype(self) -> str:
        """The dtype name, e.g. ``"float32"``."""
        return str(self.template.dtype)

    @property
    def sparse_dim(self) -> Dim | None:
        """For integer index tensors: the dim the indices point into."""
        return self.template.sparse_dim

    @property
    def feature_dim(self) -> Dim | None:
        """The feature dim if the tensor has one (set by the op that made it)."""
        return self.template.feature_dim

    @property
    def ndim(self) -> int:
        """Number of dims."""
        return len(self.template.dims)

    def remaining_dims(self, remove: Dim | Sequence[Dim] | None = None) -> list[Dim]:
        """The dims in order without ``remove`` (one dim or several), e.g. the batch dims of
        an op over ``remove`` (the predecessor's ``Tensor.remaining_dims``).

        Examples
        --------
        >>> import rc_nn as nn
        >>> f = nn.FeatureDim("f", 2)
        >>> nn.zeros([nn.batch_dim, f]).remaining_dims(f) == [nn.batch_dim]
        True
        """
        dims = list(self.dims)
        removes = [] if remove is None else [remove] if isinstance(remove, Dim) else list(remove)
        for dim in removes:
            if dim not in dims:
                raise AxisError(
                    f"remaining_dims: {_dim_str(dim)} is not a dim of {self!r} "
                    f"(dims: {', '.join(_dim_str(d) for d in self.dims)}; at {user_location(2)})"
                    + lookalike_dims_note([dim, *self.dims])
                )
            dims.remove(dim)
        return dims

    @property
    def dims_set(self) -> DimsSet:
        """The dims as a set (order does not matter for most rc-nn ops).

        A property, as in the predecessor; calling it (``x.dims_set()``) gives the same set.

        Examples
        --------
        >>> import rc_nn as nn
        >>> f = nn.FeatureDim("f", 2)
        >>> nn.zeros([nn.batch_dim, f]).dims_set == {nn.batch_dim, f}
        True
        >>> nn.zeros([nn.batch_dim, f]).dims_set() == {nn.batch_dim, f}
        True
        """
        return DimsSet(self.template.dims)

    @property
    def shape(self) -> DimsSet:
        """The predecessor's older name of :attr:`dims_set` (a set of dims, not sizes)."""
        return DimsSet(self.template.dims)

    def __repr__(self) -> str:
        dims = ", ".join(_dim_str(d) for d in self.dims)
        sparse = f", sparse_dim={_dim_str(self.sparse_dim)}" if self.sparse_dim else ""
        return f"<nn.Tensor {self.name_hint} [{dims}] {self.dtype}{sparse}>"

    def verify_out_shape(self, out_shape: set[Dim] | frozenset[Dim]) -> None:
        """Check that the dims are exactly ``out_shape`` (as a set).

        Examples
        --------
        >>> import rc_nn as nn
        >>> f = nn.FeatureDim("f", 2)
        >>> nn.zeros([f]).verify_out_shape({f})
        """
        if set(self.dims) != set(out_shape):
            raise DimMismatchError(
                f"{self!r} created at {self.created_at}: expected dims "
                f"{{{', '.join(sorted(_dim_str(d) for d in out_shape))}}}, "
                f"got {{{', '.join(sorted(_dim_str(d) for d in self.dims))}}}"
            )

    # -- marking -----------------------------------------------------------------------

    def mark_as_default_output(self) -> Tensor:
        """Make this the network's default output (RETURNN layer ``output``).

        Examples
        --------
        >>> import rc_nn as nn
        >>> _ = nn.zeros([nn.FeatureDim("f", 2)]).mark_as_default_output()
        """
        # Earlier default outputs stay recorded: the root can hold several models (e.g. the
        # default root), and serialization takes the last default output of its model.
        state_of(self.root).marks.append(OutputMark(self, None, user_location(2)))
        return self

    def mark_as_output(self, name: str | None = None) -> Tensor:
        """Mark as an extra output (kept and computed by RETURNN, named ``name`` if given)."""
        if name is not None:
            _check_mark_name(name, "mark_as_output")
        state_of(self.root).marks.append(OutputMark(self, name or self.name_hint, user_location(2)))
        return self

    def mark_as_loss(self, name: str, *, scale: float = 1.0, as_error: bool = False) -> Tensor:
        """Mark as a loss (summed over the batch by RETURNN) with ``scale``.

        ``as_error=True`` reports it without optimizing it.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"mark_as_loss: the loss needs a non-empty name, got {name!r}")
        _check_mark_name(name, "mark_as_loss")
        state_of(self.root).marks.append(
            OutputMark(self, name, user_location(2), loss_scale=float(scale), as_error=as_error)
        )
        return self

    # -- operators (implemented in _math) ----------------------------------------------

    def _bin(self, other: object, kind: str, *, reverse: bool = False) -> Tensor:
        return operators().binary(self, other, kind, reverse=reverse)

    def __add__(self, other: object) -> Tensor:
        return self._bin(other, "add")

    def __radd__(self, other: object) -> Tensor:
        return self._bin(other, "add", reverse=True)

    def __sub__(self, other: object) -> Tensor:
        return self._bin(other, "sub")

    def __rsub__(self, other: object) -> Tensor:
        return self._bin(other, "sub", reverse=True)

    def __mul__(self, other: object) -> Tensor:
        return self._bin(other, "mul")

    def __rmul__(self, other: object) -> Tensor:
        return self._bin(other, "mul", reverse=True)

    def __truediv__(self, other: object) -> Tensor:
        return self._bin(other, "truediv")

    def __rtruediv__(self, other: object) -> Tensor:
        return self._bin(other, "truediv", reverse=True)

    def __floordiv__(self, other: object) -> Tensor:
        return self._bin(other, "floordiv")

    def __rfloordiv__(self, other: object) -> Tensor:
        return self._bin(other, "floordiv", reverse=True)

    def __mod__(self, other: object) -> Tensor:
        return self._bin(other, "mod")

    def __rmod__(self, other: object) -> Tensor:
        return self._bin(other, "mod", reverse=True)

    def __pow__(self, other: object) -> Tensor:
        return self._bin(other, "pow")

    def __rpow__(self, other: object) -> Tensor:
        return self._bin(other, "pow", reverse=True)

    def __neg__(self) -> Tensor:
        return operators().unary(self, "neg")

    def __abs__(self) -> Tensor:
        return operators().unary(self, "abs")

    def __invert__(self) -> Tensor:
        return operators().unary(self, "logical_not")

    def __and__(self, other: object) -> Tensor:
        return self._bin(other, "logical_and")

    def __rand__(self, other: object) -> Tensor:
        return self._bin(other, "logical_and", reverse=True)

    def __or__(self, other: object) -> Tensor:
        return self._bin(other, "logical_or")

    def __ror__(self, other: object) -> Tensor:
        return self._bin(other, "logical_or", reverse=True)

    def __lt__(self, other: object) -> Tensor:
        return self._bin(other, "less")

    def __le__(self, other: object) -> Tensor:
        return self._bin(other, "less_equal")

    def __gt__(self, other: object) -> Tensor:
        return self._bin(other, "greater")

    def __ge__(self, other: object) -> Tensor:
        return self._bin(other, "greater_equal")

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._bin(other, "equal")

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._bin(other, "not_equal")

    # Tensors are identified by identity (they are dict keys and set members internally).
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(
            f"{self!r} (created at {self.created_at}) has no truth value while the model is "
            "built: it is a lazy RETURNN layer. Use nn.where(...) or nn.Cond for data-dependent "
            "choices, and `is`/`is not` to compare tensor objects."
        )

    def __iter__(self) -> Iterator[Tensor]:
        raise TypeError(
            f"{self!r} is not iterable: split it with nn.split(x, axis=..., out_dims=...) "
            "or loop over an axis with nn.Loop"
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        # Without this, deepcopy would walk the slots into the naming root and copy the
        # whole model graph (it practically never ends). A layer output cannot be
        # re-created by a copy; nn.Parameter overrides this with a real copy.
        raise TensorCopyError(copy_error_message(f"{self!r} (created at {self.created_at})"))


def copy_error_message(what: str) -> str:
    """The text of :class:`TensorCopyError` for ``what`` (a tensor, or a module holding one)."""
    return (
        f"cannot deep-copy {what}: a layer output (not a parameter) belongs to the graph it "
        f"was built in and a copy cannot re-create it (at {creation_site()}). Deep-copy "
        "modules before calling them and before functions that store computed tensors on "
        "them (e.g. nn.weight_norm: copy the module first, then apply weight_norm to the "
        "copy); parameters are copied as fresh parameters."
    )


def _dim_str(dim: Dim | None) -> str:
    if dim is None:
        return "None"
    size = dim.dimension if dim.dimension is not None else "?"
    return f"{dim.description}({size})"


def iter_tensors(value: object) -> Iterator[Tensor]:
    """All tensors inside a (nested) layer option value, in a deterministic order."""
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_tensors(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_tensors(item)


def root_for(values: Sequence[object], what: str) -> rc_naming.Root:
    """The naming root shared by all tensors in ``values`` (the current root if none)."""
    root: rc_naming.Root | None = None
    first: Tensor | None = None
    for value in values:
        for tensor in iter_tensors(value):
            if root is None:
                root, first = tensor.root, tensor
            elif tensor.root is not root:
                rc_naming.check_same_root(
                    root, tensor.root, what=f"{what}: {tensor!r} together with {first!r}"
                )
    return root if root is not None else rc_naming.current_root()


def make_layer_tensor(
    layer_dict: LayerDict,
    data: Template,
    *,
    name_hint: str,
) -> Tensor:
    """Record a new layer in the current call scope and return its output tensor."""
    root = root_for(list(layer_dict.values()), name_hint)
    state = state_of(root)
    control_flow().check_new_layer(list(layer_dict.values()), root, name_hint)
    tensor = Tensor(
        data, root=root, layer_dict=layer_dict, name_hint=name_hint, created_at=user_location(2)
    )
    tensor.node = state.tree.add(current_scope(root), name_hint, payload=tensor)
    return tensor


def as_tensor(value: object, what: str, *, loop_read: bool = True) -> Tensor:
    """``value`` if it is a tensor, else a clear error saying what was expected.

    Operations call it on their tensor inputs. With ``loop_read`` (the default), a
    tensor from outside the loop being built whose batch dim is not first is replaced
    by its batch-major view (see ``_control.loop_read``), the order RETURNN
    gives it under beam search; control-flow constructs pass ``loop_read=False``.
    """
    if isinstance(value, Tensor):
        if loop_read and value.template.batch_dim_axis not in (None, 0):
            return control_flow().read(value)
        return value
    if isinstance(value, Dim):
        raise NotATensorError(
            f"{what}: got the dim {_dim_str(value)} where a tensor belongs (at {user_location(2)}). "
            "Use nn.range_over_dim(dim) for its indices or nn.dim_value(dim) for its size."
        )
    raise NotATensorError(
        f"{what}: expected an nn.Tensor, got {type(value).__name__} {value!r:.80} "
        f"(at {user_location(2)})"
    )


def check_axis(x: Tensor, axis: Dim, what: str) -> Dim:
    """``axis`` if it is a dim of ``x``, else an AxisError listing the dims of ``x``."""
    if not isinstance(axis, Dim):
        raise AxisError(
            f"{what}: axis must be an nn.Dim, got {axis!r} (at {user_location(2)}). "
            "rc-nn names axes by dim objects, never by position."
        )
    if axis not in x.dims:
        raise AxisError(
            f"{what}: {_dim_str(axis)} is not a dim of {x!r} "
            f"(dims: {', '.join(_dim_str(d) for d in x.dims)}; at {user_location(2)})"
            + lookalike_dims_note([axis, *x.dims])
        )
    return axis
