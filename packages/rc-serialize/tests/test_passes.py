"""The final pass's passes on small hand-written build records (issue 15)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy
import pytest

import rc_naming
import rc_nn as nn
import rc_serialize
from rc_serialize._emit_tf import EmitParams, emit_network
from rc_serialize._name_layers import fixed_names, name_layers
from rc_serialize._name_params import ParamNaming, param_paths
from rc_serialize._reach import reach
from rc_serialize._select import never_called_note, select_extern, select_marks

_T = nn.TemplateRecord((0,), "float32")
_NO_DIMS = ()


def _layer(i: int, kind: str = "layer", **kw: Any) -> nn.LayerRecord:
    fields: dict[str, Any] = {"name_hint": f"l{i}", "created_at": f"m.py:{i}", "text": f"<l{i}>"}
    fields.update(kw)
    if kind in ("layer", "container") and "args" not in kw:
        deps = kw.get("deps", ())
        fields["args"] = nn.FrozenMap(
            (("class", "copy"), ("from", nn.SeqValue(tuple(nn.LayerRef(d) for d in deps))))
        )
    return nn.LayerRecord(i, kind, output=_T, **fields)


def _record(
    layers: list[nn.LayerRecord],
    marks: list[nn.MarkRecord],
    *,
    params: tuple[nn.ParamRecord, ...] = (),
    calls: tuple[nn.CallRecord, ...] = (),
    blocks: tuple[nn.BlockRecord, ...] = (),
    extern: tuple[nn.ExternRecord, ...] = (),
) -> nn.BuildRecord:
    return nn.BuildRecord(
        version=nn.RECORD_VERSION,
        root=nn.RootInfo("r", "Net", "m.py:1"),
        layers=tuple(layers),
        blocks=blocks,
        calls=calls,
        params=params,
        dims=(nn.DimRecord(0, "feature", "f", 2),),
        extern=extern,
        marks=tuple(marks),
    )


def _param(layer: int, path: tuple[str, ...] | None, in_model: bool = True) -> nn.ParamRecord:
    return nn.ParamRecord(
        layer,
        path,
        in_model,
        (0,),
        "float32",
        unreachable=None if path else "not reachable",
    )


# -- reach ------------------------------------------------------------------------------


def test_reach_is_a_depth_first_closure_over_deps() -> None:
    layers = [_layer(0), _layer(1, deps=(0,)), _layer(2, deps=(0, 1)), _layer(3)]
    assert list(reach(layers, [2])) == [2, 1, 0]
    assert list(reach(layers, [3, 0])) == [0, 3]


# -- select -----------------------------------------------------------------------------


def test_select_keeps_the_last_default_output_and_all_named_marks() -> None:
    layers = [_layer(0), _layer(1), _layer(2)]
    marks = [
        nn.MarkRecord(0, None, "m.py:5"),
        nn.MarkRecord(1, "aux", "m.py:6"),
        nn.MarkRecord(2, None, "m.py:7"),
    ]
    selection = select_marks(_record(layers, marks))
    assert [m.layer for m in selection.marks] == [1, 2]
    assert selection.foreign_used == frozenset()


def test_select_leaves_out_marks_on_other_models_parameters() -> None:
    layers = [
        _layer(0, "param"),
        _layer(1, "param"),
        _layer(2, deps=(0,)),
        _layer(3, deps=(1,)),
        _layer(4, "extern", extern_name="data"),
        _layer(5, "extern", extern_name="other"),
    ]
    params = (_param(0, ("w",)), _param(1, None, in_model=False))
    marks = [nn.MarkRecord(2, None, "m.py:5"), nn.MarkRecord(3, "x", "m.py:6")]
    extern = (nn.ExternRecord("data", 4), nn.ExternRecord("other", 5, declared_here=False))
    record = _record(layers, marks, params=params, extern=extern)
    selection = select_marks(record)
    assert [m.layer for m in selection.marks] == [2]
    assert selection.foreign_used == {3, 1}
    used = reach(record.layers, [2])
    assert [e.key for e in select_extern(record, used, selection.foreign_used)] == ["data"]


def test_select_all_foreign_is_a_no_output_error() -> None:
    layers = [_layer(0, "param"), _layer(1, deps=(0,))]
    record = _record(
        layers, [nn.MarkRecord(1, None, "m.py:5")], params=(_param(0, None, in_model=False),)
    )
    with pytest.raises(rc_serialize.NoOutputError, match=r"depends on\s+parameters of other"):
        select_marks(record)


def test_nothing_marked_says_whether_the_model_was_called() -> None:
    with pytest.raises(nn.NoOutputError, match="was never called"):
        select_marks(_record([_layer(0)], []))
    call = nn.CallRecord(0, "module", None, "net", "m.py:9", module=0, module_path=())
    called = dataclasses.replace(call, in_root_modules=True)
    with pytest.raises(rc_serialize.NoOutputError, match=r"the model was called at m.py:9"):
        select_marks(_record([_layer(0)], [], calls=(called,)))


def test_never_called_note_names_the_called_modules() -> None:
    other = nn.CallRecord(
        0, "module", None, "enc", "m.py:9", module=0, module_type="Enc", module_created_at="m.py:2"
    )
    note = never_called_note(_record([_layer(0)], [], calls=(other,)))
    assert "Net (created at m.py:1) was never called" in note
    assert "calls of Enc (created at m.py:2)" in note


def test_mark_inside_a_block_is_refused() -> None:
    block = nn.BlockRecord(0, "loop", "nn.Loop", "m.py:3", "nn.Loop opened at m.py:3")
    record = _record([_layer(0, block=0)], [nn.MarkRecord(0, None, "m.py:5")], blocks=(block,))
    with pytest.raises(rc_serialize.MarkInsideBlockError, match=r"belongs to nn\.Loop opened"):
        select_marks(record)
    with pytest.raises(nn.RcNnError):
        select_marks(record)


# -- name ---------------------------------------------------------------------------------


def test_fixed_names_of_loops_and_conds() -> None:
    loop = nn.BlockRecord(
        0, "loop", "nn.Loop", "m.py:3", "d", loop=nn.LoopInfo(0, end=1, exports=(2, 3))
    )
    assert fixed_names(loop, {1: None, 3: None}) == {1: "end", 3: "output"}
    carrier = dataclasses.replace(
        loop, loop=nn.LoopInfo(0, output_carrier=4, has_output_carrier=True, exports=(2,))
    )
    assert fixed_names(carrier, {2: None, 4: None}) == {4: "output"}
    cond = nn.BlockRecord(1, "cond", "nn.Cond", "m.py:4", "d", results=(5, None, 6))
    assert fixed_names(cond, {}) == {5: "output", 6: "result_2"}


def test_param_paths_check_tf_names_and_reachability() -> None:
    layers = [_layer(0, "param"), _layer(1, "param")]
    record = _record(layers, [], params=(_param(0, ("a", "w")), _param(1, None)))
    assert param_paths(record, {0: None}, {}, lambda: "") == {0: ("a", "w")}
    with pytest.raises(rc_serialize.UnreachableError, match="NOTE In detail") as info:
        param_paths(record, {1: None}, {}, lambda: "NOTE")
    assert isinstance(info.value, rc_naming.UnreachableError)
    bad = _record(layers, [], params=(_param(0, ("_a", "w")),))
    with pytest.raises(rc_serialize.InvalidParameterNameError, match="must start with a letter"):
        param_paths(bad, {0: None}, {}, lambda: "")


def test_param_naming_style_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'predecessor' or 'plain'") as info:
        ParamNaming("torch")
    assert isinstance(info.value, rc_serialize.RcSerializeError)


def test_names_and_net_dict_of_a_small_record() -> None:
    layers = [
        _layer(0, "param", name_hint="param"),
        _layer(1, "extern", extern_name="data"),
        _layer(2, deps=(1, 0), call=0),
        _layer(3, deps=(2,), call=0, name_hint="tanh"),
    ]
    calls = (nn.CallRecord(0, "module", None, "enc", "m.py:4", module=0, module_path=("enc",)),)
    params = (_param(0, ("enc", "w")),)
    record = _record(layers, [nn.MarkRecord(3, "out", "m.py:5")], params=params, calls=calls)
    used = reach(record.layers, [3])
    paths = param_paths(record, used, {}, lambda: "")
    names = name_layers(record, record.marks, used, paths)
    dims = ("F",)
    network = emit_network(
        record,
        names,
        EmitParams(paths, frozenset(), ParamNaming(), {p.layer: p for p in record.params}),
        dims,
    )
    assert network == {
        "enc_w": {
            "class": "variable",
            "shape": ["F"],
            "param_name": "param",
            "name_scope": "enc/w",
        },
        "enc_l2": {"class": "copy", "from": ["data", "enc_w"]},
        "out": {"class": "copy", "from": ["enc_l2"], "is_output_layer": True},
    }


def test_emit_refuses_an_extra_entry_named_like_a_layer() -> None:
    record = dataclasses.replace(
        _record([_layer(0)], [nn.MarkRecord(0, None, "m.py:5")]),
        extra_net_dict=nn.FrozenMap((("output", "x"),)),
    )
    used = reach(record.layers, [0])
    names = name_layers(record, record.marks, used, {})
    with pytest.raises(rc_serialize.ExtraNetDictError, match="'output'"):
        emit_network(record, names, EmitParams({}, frozenset(), ParamNaming(), {}), ())


# -- the driver ---------------------------------------------------------------------------


def test_build_network_errors_are_rc_serialize_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(rc_serialize.NotAModuleError, match=r"must be an nn\.Module") as info:
        rc_serialize.build_network(3)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)

    def mismatch(module: nn.Module) -> None:
        raise rc_naming.RootMismatchError("two roots")

    monkeypatch.setattr(nn, "build_record", mismatch)
    with pytest.raises(rc_serialize.RootMismatchError, match="two roots") as error:
        rc_serialize.build_network(nn.Linear(nn.FeatureDim("g", 2), nn.FeatureDim("h", 2)))
    assert isinstance(error.value, rc_naming.RootMismatchError)


def test_record_of_an_unknown_major_version(monkeypatch: pytest.MonkeyPatch) -> None:
    real = nn.build_record

    def future(module: nn.Module) -> tuple[nn.BuildRecord, nn.RecordHandles]:
        record, handles = real(module)
        return dataclasses.replace(record, version=(99, 0)), handles

    with nn.Root():
        feat = nn.FeatureDim("g", 2)
        lin = nn.Linear(feat, feat)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        lin(x).mark_as_default_output()
        monkeypatch.setattr(nn, "build_record", future)
        with pytest.raises(rc_serialize.RecordVersionError, match=r"version 99\.0.*pip install"):
            rc_serialize.build_network(lin)


def test_initial_array_of_the_wrong_shape() -> None:
    with nn.Root():
        feat = nn.FeatureDim("g", 2)
        lin = nn.Linear(feat, feat)
        lin.bias.initial = numpy.zeros((3,), dtype="float32")
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        lin(x).mark_as_default_output()
        with pytest.raises(rc_serialize.InitialValueShapeError, match=r"has shape \(3,\)"):
            rc_serialize.build_network(lin)


def test_a_value_no_record_can_hold_is_the_config_writers_error() -> None:
    with nn.Root():
        feat = nn.FeatureDim("g", 2)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        y = nn.make_layer({"class": "copy", "from": x, "odd": {1j}}, name="odd", out=x.template)
        y.mark_as_default_output()
        lin = nn.Linear(feat, feat)
        with pytest.raises(
            rc_serialize.ConfigCodeError, match=r"cannot write a set .*\(in odd \(created at"
        ) as info:
            rc_serialize.build_network(lin)
    assert isinstance(info.value, TypeError) and isinstance(
        info.value.__cause__, nn.RecordValueError
    )
