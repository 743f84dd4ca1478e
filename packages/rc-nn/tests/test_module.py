"""Module and Parameter semantics (no TensorFlow, no serialization)."""

from __future__ import annotations

import copy
import re

import numpy
import pytest

import rc_naming
import rc_nn as nn


def _line_of(snippet: str) -> int:
    with open(__file__, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if snippet in line and "_line_of" not in line:
                return number
    raise AssertionError(snippet)


D = nn.FeatureDim("d", 3)
H = nn.FeatureDim("h", 4)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(D, H)
        self.norm = nn.LayerNorm(H)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.norm(self.lin(x))


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first = Block()
        self.second = Block()
        self.scale = nn.Parameter([H], initial=1.0)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        return self.second.norm(self.first(x)) * self.scale


def _names(module: nn.Module) -> list[str]:
    return [name for name, _ in module.named_parameters()]


# -- introspection ---------------------------------------------------------------------


def test_named_parameters_order_and_identity() -> None:
    model = Model()
    assert _names(model) == [
        "first.lin.weight",
        "first.lin.bias",
        "first.norm.scale",
        "first.norm.bias",
        "second.lin.weight",
        "second.lin.bias",
        "second.norm.scale",
        "second.norm.bias",
        "scale",
    ]
    params = dict(model.named_parameters())
    assert params["first.lin.weight"] is model.first.lin.weight
    assert params["scale"] is model.scale
    assert list(model.parameters()) == list(params.values())
    assert _names(model.first) == ["lin.weight", "lin.bias", "norm.scale", "norm.bias"]


def test_named_parameters_not_recursive() -> None:
    model = Model()
    assert [name for name, _ in model.named_parameters(recurse=False)] == ["scale"]
    assert list(model.parameters(recurse=False)) == [model.scale]


def test_named_modules_children_and_modules() -> None:
    model = Model()
    modules = dict(model.named_modules())
    assert list(modules) == [
        "",
        "first",
        "first.lin",
        "first.norm",
        "second",
        "second.lin",
        "second.norm",
    ]
    assert modules[""] is model and modules["first.norm"] is model.first.norm
    assert list(model.modules()) == list(modules.values())
    assert list(model.named_children()) == [("first", model.first), ("second", model.second)]
    assert list(model.children()) == [model.first, model.second]


def test_shared_module_listed_once() -> None:
    model = Model()
    model.alias = model.first  # a second chain to the same submodule
    assert [name for name, _ in model.named_children()] == ["first", "second"]
    assert [name for name, _ in model.named_modules()].count("first") == 1
    assert "alias" not in dict(model.named_modules())
    assert len(_names(model)) == 9


def test_apply_visits_children_first() -> None:
    model = Model()
    visited: list[str] = []
    result = model.apply(lambda m: visited.append(type(m).__name__))
    assert result is model
    assert visited == [
        "Linear",
        "LayerNorm",
        "Block",
        "Linear",
        "LayerNorm",
        "Block",
        "Model",
    ]


def test_submodule_before_super_init() -> None:
    class Early(nn.Module):
        def __init__(self) -> None:
            self.lin = nn.Linear(D, H)  # before super().__init__()
            super().__init__()
            self.after = nn.Linear(H, D)

    model = Early()
    assert _names(model) == ["lin.weight", "lin.bias", "after.weight", "after.bias"]


def test_module_without_super_init_still_works() -> None:
    class NoInit(nn.Module):
        def __init__(self) -> None:
            self.lin = nn.Linear(D, H)

    assert _names(NoInit()) == ["lin.weight", "lin.bias"]


def test_reassignment_updates_names() -> None:
    model = Model()
    old = model.first.lin.weight
    new = nn.Parameter([D, H])
    model.first.lin.weight = new
    params = dict(model.named_parameters())
    assert params["first.lin.weight"] is new
    assert all(p is not old for p in params.values())


def test_reassign_with_non_module_removes_child() -> None:
    model = Model()
    model.first = None  # type: ignore[assignment]
    assert [name for name, _ in model.named_children()] == ["second"]
    assert not any(name.startswith("first.") for name in _names(model))


def test_deletion_updates_names_and_moves_shared() -> None:
    model = Model()
    model.second.lin.weight = model.first.lin.weight  # shared, first assignment wins
    assert "second.lin.weight" not in _names(model)
    del model.first
    names = _names(model)
    assert "second.lin.weight" in names
    assert not any(name.startswith("first.") for name in names)
    assert dict(model.named_parameters())["second.lin.weight"] is model.second.lin.weight
    with pytest.raises(AttributeError):
        _ = model.first


def test_new_alias_never_moves_a_canonical_name() -> None:
    model = Model()
    before = dict(model.named_parameters())
    model.extra = Block()
    model.extra.lin = model.second.lin  # alias assigned later
    model.second.tied = model.first.norm.scale
    after = dict(model.named_parameters())
    for name, param in before.items():
        assert after[name] is param
    assert "extra.lin.weight" not in after
    assert "extra.norm.scale" in after


def test_non_module_attributes_are_plain() -> None:
    model = Model()
    model.rate = 0.1
    model.names = ["a", "b"]
    assert model.rate == 0.1
    del model.rate
    assert _names(model)[0] == "first.lin.weight"


def test_module_without_forward_raises() -> None:
    class Empty(nn.Module):
        pass

    x = nn.zeros([D])
    with pytest.raises(NotImplementedError, match="Empty does not define forward"):
        Empty()(x)


def test_repr_has_creation_location() -> None:
    block = Block()
    assert repr(block) == f"<Block created at {__file__}:{_line_of('block = Block()')}>"


def test_created_at_is_the_instantiation_line() -> None:
    block = Block()  # the line a user looks for
    line = f"{__file__}:{_line_of('block = Block()  # the line')}"
    graph = block._rc_naming_root().graph
    assert graph.created_at(block) == line  # not the super().__init__() line in Block
    # Parameters made by library modules point at the user's line too.
    inner_line = f"{__file__}:{_line_of('self.lin = nn.Linear(D, H)')}"
    assert block.lin.weight.created_at == inner_line
    assert graph.created_at(block.lin) == inner_line


def test_deepcopy_created_at_is_the_copy_line() -> None:
    block = Block()
    clone = copy.deepcopy(block)  # copy here
    line = f"{__file__}:{_line_of('clone = copy.deepcopy(block)  # copy here')}"
    graph = block._rc_naming_root().graph
    assert repr(clone) == f"<Block created at {line}>"
    assert graph.created_at(clone) == line
    assert clone.lin.weight.created_at == line
    assert graph.created_at(clone.lin.weight) == line


# -- deepcopy --------------------------------------------------------------------------


def test_deepcopy_fresh_parameters_same_structure() -> None:
    model = Model()
    model.second.lin.weight = model.first.lin.weight
    model.rate = 0.25
    clone = copy.deepcopy(model)
    assert _names(clone) == _names(model)
    originals = {id(p) for p in model.parameters()}
    assert all(id(p) not in originals for p in clone.parameters())
    # Sharing inside the copy is kept, not with the original.
    assert clone.second.lin.weight is clone.first.lin.weight
    assert clone.first.lin.weight is not model.first.lin.weight
    # Dims, dtype, initializers, plain attributes are the same.
    assert clone.first.lin.weight.dims == model.first.lin.weight.dims
    assert clone.first.lin.weight.initial == model.first.lin.weight.initial
    assert clone.first.lin.in_dim is D
    assert clone.rate == 0.25
    assert clone._rc_naming_root() is model._rc_naming_root()


def test_deepcopy_as_submodule_gets_own_names() -> None:
    block = Block()

    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = block
            self.b = copy.deepcopy(block)

    two = Two()
    assert _names(two) == [f"{m}.{n}" for m in ("a", "b") for n in _names(block)]
    numpy_init = nn.Parameter([D], initial=numpy.arange(3, dtype="float32"))
    copied = copy.deepcopy(numpy_init)
    assert copied is not numpy_init
    assert isinstance(copied.initial, numpy.ndarray)
    assert copied.initial is not numpy_init.initial
    numpy.testing.assert_array_equal(copied.initial, numpy_init.initial)


# -- containers ------------------------------------------------------------------------


def test_sequential_and_module_list_names() -> None:
    seq = nn.Sequential(nn.Linear(D, H), nn.Linear(H, D))
    assert _names(seq) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(seq) == 2
    assert seq[-1] is seq[1]
    seq2 = nn.Sequential([nn.Linear(D, H)])
    assert len(seq2) == 1
    lst = nn.ModuleList()
    lst.append(nn.Linear(D, H))
    lst.extend([nn.LayerNorm(H)])
    assert _names(lst) == ["0.weight", "0.bias", "1.scale", "1.bias"]
    replacement = nn.LayerNorm(H)
    lst[1] = replacement
    assert dict(lst.named_parameters())["1.scale"] is replacement.scale
    with pytest.raises(IndexError, match="out of range"):
        _ = lst[2]
    with pytest.raises(
        TypeError, match=r"ModuleList\[2\]: expected an nn.Module or a function, got int"
    ):
        lst.append(3)  # type: ignore[arg-type]


def test_sequential_calls_in_order() -> None:
    x = nn.zeros([nn.batch_dim, D])
    seq = nn.Sequential(nn.Linear(D, H), nn.Linear(H, D))
    y = seq(x)
    assert y.dims == (nn.batch_dim, D)


def test_container_paths_inside_model() -> None:
    class WithContainers(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([Block() for _ in range(2)])
            self.heads = nn.ModuleDict({"ctc": nn.Linear(H, D)})
            self.extra = nn.ParameterList([nn.Parameter([D]), nn.Parameter([H])])

    model = WithContainers()
    assert _names(model) == [
        "layers.0.lin.weight",
        "layers.0.lin.bias",
        "layers.0.norm.scale",
        "layers.0.norm.bias",
        "layers.1.lin.weight",
        "layers.1.lin.bias",
        "layers.1.norm.scale",
        "layers.1.norm.bias",
        "heads.ctc.weight",
        "heads.ctc.bias",
        "extra.0",
        "extra.1",
    ]
    assert list(model.heads) == ["ctc"]
    assert model.heads["ctc"] is model.heads.ctc
    assert [p.dims for p in model.extra] == [(D,), (H,)]


def test_module_dict_operations() -> None:
    heads = nn.ModuleDict({"a": nn.Linear(D, H)})
    heads["b"] = nn.Linear(H, D)
    assert heads.keys() == ["a", "b"] and len(heads) == 2
    assert [k for k, _ in heads.items()] == ["a", "b"]
    del heads["a"]
    assert heads.keys() == ["b"]
    assert _names(heads) == ["b.weight", "b.bias"]
    with pytest.raises(KeyError, match="no key 'a'"):
        _ = heads["a"]
    with pytest.raises(TypeError, match="keys must be non-empty strings"):
        heads[""] = nn.Linear(D, H)


def test_container_slice_keeps_original_names() -> None:
    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(D, D2) for _ in range(3)])

    D2 = nn.FeatureDim("d2", 2)
    model = Holder()
    part = model.layers[1:]
    assert len(part) == 2 and part[0] is model.layers[1]
    # Slicing must not change the canonical names of the model.
    assert _names(model)[2:4] == ["layers.1.weight", "layers.1.bias"]


# -- roots -----------------------------------------------------------------------------


def test_assign_across_roots_raises(fresh_root: rc_naming.Root) -> None:
    model = Model()
    with nn.Root("other") as other:
        foreign = nn.Linear(D, H)
    with pytest.raises(rc_naming.RootMismatchError) as info:
        model.extra = foreign
    assert "'other'" in str(info.value) and "'test'" in str(info.value)
    assert model._rc_naming_root() is fresh_root
    assert foreign._rc_naming_root() is other


# -- parameters ------------------------------------------------------------------------


def test_parameter_dynamic_dim_error_has_location() -> None:
    time = nn.SpatialDim("time")
    with pytest.raises(nn.DimMismatchError) as info:
        nn.Parameter([time, D])  # the user's line
    message = str(info.value)
    assert f"{__file__}:{_line_of('nn.Parameter([time, D])  # the user')}" in message
    assert "time(?) is dynamic" in message
    assert "FeatureDim" in message


def test_parameter_duplicate_dim_error() -> None:
    with pytest.raises(
        nn.DimMismatchError, match=r"the same dim appears twice in \[d\(3\), d\(3\)\]"
    ):
        nn.Parameter([D, D])


def test_parameter_non_dim_error() -> None:
    with pytest.raises(TypeError, match=r"dims must be nn\.Dim objects, got 3"):
        nn.Parameter([3])  # type: ignore[list-item]


def test_parameter_template() -> None:
    p = nn.Parameter([D, H], dtype="float32")
    assert p.dims == (D, H)
    assert p.dtype == "float32"
    assert p.feature_dim is H
    assert p.trainable and not p.auxiliary
    aux = nn.Parameter([D], auxiliary=True)
    assert not aux.trainable
    assert aux.variable_layer_options()["trainable"] is False


def test_initializers_to_returnn_options() -> None:
    p = nn.Parameter([D, H], initial=nn.init.Glorot())
    assert p.variable_layer_options() == {
        "class": "variable",
        "shape": [D, H],
        "init": {
            "class": "VarianceScaling",
            "scale": 1.0,
            "mode": "fan_avg",
            "distribution": "uniform",
        },
    }
    he = nn.Parameter([D, H], initial=nn.init.HeNormal())
    assert he.variable_layer_options()["init"] == {
        "class": "VarianceScaling",
        "scale": 2.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
    }
    assert nn.Parameter([D], initial=1).variable_layer_options()["init"] == 1.0
    assert isinstance(nn.Parameter([D], initial=1).variable_layer_options()["init"], float)
    int_param = nn.Parameter([D], dtype="int32", initial=2.0)
    opts = int_param.variable_layer_options()
    assert opts["dtype"] == "int32" and opts["init"] == 2 and isinstance(opts["init"], int)
    assert "init" not in nn.Parameter([D]).variable_layer_options()
    assert nn.Parameter([D], weight_decay=0.01).variable_layer_options()["L2"] == 0.01
    with pytest.raises(ValueError, match="mode must be"):
        nn.init.VarianceScaling(mode="fan_sideways")
    with pytest.raises(ValueError, match="scale must be positive"):
        nn.init.VarianceScaling(scale=0.0)


def test_numpy_initial_shape_check() -> None:
    good = nn.Parameter([D, H], initial=numpy.ones((3, 4), dtype="float32"))
    assert good.variable_layer_options()["init"].shape == (3, 4)
    bad = nn.Parameter([D, H], initial=numpy.ones((4, 3), dtype="float32"))
    with pytest.raises(
        nn.DimMismatchError, match=re.escape("shape (4, 3), but the parameter has shape (3, 4)")
    ):
        bad.variable_layer_options()


def test_parameter_repr() -> None:
    p = nn.Parameter([D, H])
    assert (
        repr(p)
        == f"<nn.Parameter [d(3), h(4)] float32 created at {__file__}:{_line_of('p = nn.Parameter([D, H])')}>"
    )
