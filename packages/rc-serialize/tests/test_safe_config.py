"""The written config is safe Python (issue 13 §3, docs/bad-inputs.md).

RETURNN ``exec``s the configs rc-serialize writes. Every user-controlled string (dim
descriptions, extern-data keys, attribute and ModuleDict keys, output and loss names,
checkpoint paths and the preload key) goes through one escaping path
(``rc_serialize._pycode``); numbers are written as plain literals (``float("inf")``, never
``np.float64(...)`` or a bare ``inf``).

The property tests give full-unicode text (surrogates included) to every such name and
require either a clear error (the exception base of the package that refuses it) or a
config that, run with plain ``exec`` in a fresh namespace, gives exactly the intended
values and defines no other global names. They need RETURNN's ``returnn.tensor`` (the
config imports ``Dim`` from there) but no TensorFlow; one test at the end proves the
number literals in RETURNN's TF backend.
"""

from __future__ import annotations

import ast
import io
import math
import tokenize
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from returnn.config import Config, global_config_ctx
from returnn.tensor import Dim

import rc_naming
import rc_nn as nn
from rc_serialize import (
    DimNamer,
    RcSerializeError,
    ReturnnConfigPieces,
    preload_config_code,
    py_code,
)
from rc_serialize._cli import main
from rc_serialize._pycode import (
    ConfigCodeError,
    comment,
    dim_identifier_base,
    is_safe_identifier,
    number_literal,
    str_literal,
)

# Full unicode, lone surrogates included (they reach us from file names and user code).
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
# Names that pass rc's name checks (TF scope characters) half of the time, so both the
# refusal and the written config are exercised.
NAME = st.one_of(TEXT, st.from_regex(r"\A[A-Za-z0-9_.\-]{1,8}\Z")).filter(
    lambda n: n not in ("heads", "forward", "user_names")
)
NASTY = [
    'x"]; import os; y = ["',
    "x']; __import__('os').system('true'); y = ['",
    "a\nimport os",
    "a\r\nb\x00c\u2028d\x85e",
    "\\",
    "x²",
    "ﬁ",
    "\ud800",
    "",
]
CLEAR_ERRORS = (RcSerializeError, nn.RcNnError, rc_naming.RcNamingError)
CONFIG_BASE_NAMES = {"Dim", "batch_dim", "single_step_dim", "behavior_version", "extern_data"}


class HostileFloat(float):
    """A float subclass whose repr is code."""

    def __repr__(self) -> str:
        return "__import__('os').system('echo pwned')"


class HostileInt(int):
    def __repr__(self) -> str:
        return "__import__('os')"


class HostileStr(str):
    def __repr__(self) -> str:
        return "__import__('os')"

    __str__ = __repr__


# -- the escaping functions ----------------------------------------------------------------


@given(TEXT)
@example('"')
@example("'\"\\\n")
def test_str_literal_is_one_ascii_literal_of_the_value(text: str) -> None:
    code = str_literal(text)
    assert code.isascii() and code.isprintable()
    tree = ast.parse(code, mode="eval")
    assert isinstance(tree.body, ast.Constant) and tree.body.value == text


def test_subclasses_are_written_as_their_builtin_value() -> None:
    assert str_literal(HostileStr("ab")) == '"ab"'
    assert number_literal(HostileFloat(1.5)) == "1.5"
    assert number_literal(HostileInt(7)) == "7"
    code = py_code({HostileStr("k"): [HostileFloat(2.0), HostileInt(3)]}, DimNamer())
    assert code == '{"k": [2.0, 3]}'


@pytest.mark.parametrize(
    ("value", "code", "loaded"),
    [
        (float("inf"), 'float("inf")', float("inf")),
        (float("-inf"), 'float("-inf")', float("-inf")),
        (numpy.float64("inf"), 'float("inf")', float("inf")),
        (numpy.float32(0.5), "0.5", 0.5),
        (numpy.float64(0.1), "0.1", 0.1),
        (numpy.int64(-3), "-3", -3),
        (numpy.int32(4), "4", 4),
        (numpy.bool_(True), "True", True),
        (numpy.str_("a'b"), '"a\'b"', "a'b"),
        (-0.0, "-0.0", -0.0),
        (10**30, str(10**30), 10**30),
    ],
)
def test_numbers_are_plain_literals(value: Any, code: str, loaded: Any) -> None:
    written = py_code(value, DimNamer())
    assert written == code
    result = eval(written, {"__builtins__": {"float": float}})
    assert type(result) is type(loaded) and result == loaded
    assert math.copysign(1, result) == math.copysign(1, loaded) if isinstance(loaded, float) else 1


def test_nan_is_float_nan() -> None:
    for value in (float("nan"), numpy.float32("nan"), HostileFloat("nan")):
        written = py_code(value, DimNamer())
        assert written == 'float("nan")'
        assert math.isnan(eval(written, {"__builtins__": {"float": float}}))


@pytest.mark.parametrize(
    "value", [1j, numpy.complex64(1j), object(), b"bytes", numpy.datetime64("2020-01-01"), {1, 2}]
)
def test_unwritable_value_is_a_clear_error(value: Any) -> None:
    with pytest.raises(ConfigCodeError, match="cannot write") as info:
        py_code({"x": value}, DimNamer())
    assert isinstance(info.value, RcSerializeError) and isinstance(info.value, TypeError)


@given(TEXT)
@example("Load old\nimport os; os.system('x')")
@example("\r\x0c\x00\u2028\x85")
def test_comment_is_one_line_of_printable_ascii(text: str) -> None:
    line = comment(text)
    assert line.startswith("# ") and line.isascii() and line.isprintable()
    tokens = list(tokenize.generate_tokens(io.StringIO(line + "\n").readline))
    kinds = [t.type for t in tokens if t.type not in (tokenize.NL, tokenize.ENDMARKER)]
    assert kinds == [tokenize.COMMENT]


@given(TEXT)
@example("x²")
@example("ﬁ")
@example("if")
@example("9lives")
def test_dim_identifier_is_a_safe_identifier(description: str) -> None:
    name = dim_identifier_base(description)
    assert is_safe_identifier(name) and name.endswith("_dim")
    assert unicodedata.normalize("NFKC", name) == name


def test_nfkc_equal_descriptions_get_distinct_identifiers() -> None:
    namer = DimNamer()
    dims = [Dim(None, name=d) for d in ("ﬁ", "fi", "x²", "x2", "FI")]
    names = [namer.ref(d) for d in dims]
    assert names == ["fi_dim", "fi2_dim", "x2_dim", "x22_dim", "fi3_dim"]
    namespace: dict[str, Any] = {"Dim": Dim}
    exec("\n".join(namer.definitions()), namespace)
    assert [namespace[n].name for n in names] == ["ﬁ", "fi", "x²", "x2", "FI"]


@given(st.lists(TEXT, min_size=1, max_size=6))
def test_dim_identifiers_never_collide_after_nfkc(descriptions: list[str]) -> None:
    namer = DimNamer()
    dims = [Dim(3, name=d) for d in descriptions]
    names = [namer.ref(d) for d in dims]
    normalized = {unicodedata.normalize("NFKC", n) for n in names}
    assert len(normalized) == len(dims)
    assert not normalized & {"Dim", "batch_dim", "single_step_dim"}


# -- whole configs: exec'd, exactly the intended values, nothing else ---------------------


class _Values:
    """Compares written (exec'd) values with the intended ones; dims must map one to one."""

    def __init__(self) -> None:
        self.dims: dict[int, Dim] = {}  # id(intended dim) -> written dim
        self._back: dict[int, int] = {}

    def same(self, written: Any, intended: Any, where: str = "") -> None:
        if isinstance(intended, numpy.generic):
            intended = intended.item()
        if isinstance(intended, Dim):
            self._same_dim(written, intended, where)
        elif isinstance(intended, dict):
            assert type(written) is dict, where
            assert list(written) == list(intended), where
            for key in intended:
                self.same(written[key], intended[key], f"{where}[{key!r}]")
        elif isinstance(intended, list | tuple):
            assert type(written) is type(intended) and len(written) == len(intended), where
            for i, (w, v) in enumerate(zip(written, intended, strict=True)):
                self.same(w, v, f"{where}[{i}]")
        elif isinstance(intended, numpy.ndarray):
            numpy.testing.assert_array_equal(written, intended)
            assert written.dtype == intended.dtype, where
        elif isinstance(intended, float) and math.isnan(intended):
            assert type(written) is float and math.isnan(written), where
        else:
            assert type(written) is type(intended) and written == intended, (where, written)

    def _same_dim(self, written: Any, intended: Dim, where: str) -> None:
        if intended.is_batch_dim():
            assert isinstance(written, Dim) and written.is_batch_dim(), where
            return
        if intended.is_constant_static_dim():
            assert written == intended.dimension, where  # written as an int
            return
        assert isinstance(written, Dim), where
        known = self.dims.setdefault(id(intended), written)
        assert known is written, f"{where}: one dim became two"
        assert self._back.setdefault(id(written), id(intended)) == id(intended), (
            f"{where}: two dims became one"
        )
        assert written.name == intended.name and written.dimension == intended.dimension, where
        assert written.kind == intended.kind, where


def _exec_config(code: str) -> dict[str, Any]:
    assert code.isascii(), "the config is ASCII: RETURNN reads it with the locale's encoding"
    namespace: dict[str, Any] = {}
    exec(compile(code, "<config>", "exec"), namespace)
    namespace.pop("__builtins__")
    return namespace


def _assert_config_is(code: str, pieces: ReturnnConfigPieces) -> None:
    namespace = _exec_config(code)
    values = _Values()
    values.same(namespace["extern_data"], pieces.extern_data_dict, "extern_data")
    values.same(namespace["network"], pieces.network_dict, "network")
    dim_names = set(namespace) - CONFIG_BASE_NAMES - {"network"}
    if "numpy.array(" in code:  # imported exactly when an array is written
        dim_names.remove("numpy")
    # Nothing but the dims it needs: every other global is one of them, each exactly once.
    assert all(isinstance(namespace[n], Dim) for n in dim_names), dim_names
    assert {id(namespace[n]) for n in dim_names} == {id(d) for d in values.dims.values()}
    assert len(dim_names) == len(values.dims)


class Net(nn.Module):
    """A model whose names are all user input."""

    def __init__(self, attr: str, dict_key: str, feat: nn.Dim, out: nn.Dim) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({dict_key: nn.Linear(out, out)})
        setattr(self, attr, nn.Linear(feat, out))
        self.user_names = (attr, dict_key)

    def forward(self, x: nn.Tensor) -> nn.Tensor:
        attr, dict_key = self.user_names
        return self.heads[dict_key](getattr(self, attr)(x))


def _model(
    *,
    key: str = "data",
    time: str = "time",
    feat: str = "in",
    out: str = "out",
    attr: str = "lin",
    dict_key: str = "k",
    output: str = "extra",
    loss: str = "ce",
) -> ReturnnConfigPieces:
    with nn.Root():
        time_dim, feat_dim, out_dim = (
            nn.SpatialDim(time),
            nn.FeatureDim(feat, 3),
            nn.FeatureDim(out, 2),
        )
        x = nn.get_extern_data(nn.Data(key, dim_tags=[nn.batch_dim, time_dim, feat_dim]))
        net = Net(attr, dict_key, feat_dim, out_dim)
        y = net(x)
        y.mark_as_default_output()
        nn.tanh(y).mark_as_output(output)
        nn.reduce_sum(y * y, axis=out_dim).mark_as_loss(loss)
        return ReturnnConfigPieces(net)


def _config_or_clear_error(build: Callable[[], ReturnnConfigPieces]) -> None:
    try:
        pieces = build()
        code = pieces.config_code()
    except CLEAR_ERRORS:
        return
    _assert_config_is(code, pieces)


@given(TEXT, TEXT, TEXT)
@example("x²", "x2", "ﬁ")
@example("ﬁ", "fi", "FI")
@example('a"b', "a'b", "a\nb = 1")
@example("batch", "single_step", "Dim")
def test_dim_descriptions(time: str, feat: str, out: str) -> None:
    _config_or_clear_error(lambda: _model(time=time, feat=feat, out=out))


@given(TEXT)
@example(NASTY[0])
@example(NASTY[1])
@example(NASTY[2])
@example(NASTY[3])
@example("data")
@example("prev:x")
@example("a/b")
def test_extern_data_keys(key: str) -> None:
    _config_or_clear_error(lambda: _model(key=key))


@given(NAME, NAME)
@example("lin", NASTY[0])
@example(NASTY[1], "k")
@example("output", "data")
@example("lin", ".")
@example("lin", "en.us")
@example("a.b", "k")
def test_attribute_and_module_dict_keys(attr: str, dict_key: str) -> None:
    try:
        pieces = _model(attr=attr, dict_key=dict_key)
        code = pieces.config_code()
    except CLEAR_ERRORS:
        return
    _assert_config_is(code, pieces)
    # A '.' inside one path component is refused (rc_nn.DottedNameError, issue 13 §4).
    assert "." not in attr and "." not in dict_key
    names = set(pieces.serialized.variable_names.values())
    assert f"{attr}/weight/param" in names and f"heads/{dict_key}/bias/param" in names


@given(NAME, NAME)
@example(NASTY[0], NASTY[2])
@example("output", "output")
@example("data", "ce")
def test_output_and_loss_names(output: str, loss: str) -> None:
    try:
        pieces = _model(output=output, loss=loss)
        code = pieces.config_code()
    except CLEAR_ERRORS:
        return
    except ValueError as exc:
        # mark_as_output/mark_as_loss refuse an empty name with a plain ValueError
        assert "" in (output, loss) and "non-empty name" in str(exc), exc
        return
    _assert_config_is(code, pieces)


@given(TEXT, TEXT, st.dictionaries(TEXT, TEXT, max_size=3), st.booleans())
@example("old/model.003\nimport os\nos.system('true')", "rc", {}, True)
@example("a\r\nb\x00", NASTY[0], {NASTY[1]: NASTY[2]}, False)
@example("ckpt.index", "k", {"a/param": "b/param"}, True)
def test_checkpoint_paths_in_the_preload_config(
    path: str, key: str, mapping: dict[str, str], init_for_train: bool
) -> None:
    code = preload_config_code(path, mapping, key=key, init_for_train=init_for_train)
    lines = code.splitlines()
    assert lines[0].startswith("# Load ") and lines[1] == "preload_from_files = {"
    namespace = _exec_config(code)
    assert set(namespace) == {"preload_from_files"}
    expected_path = path[: -len(".index")] if path.endswith(".index") else path
    expected_path = (
        expected_path[: -len(".meta")] if expected_path.endswith(".meta") else expected_path
    )
    renamed = {new: old for new, old in sorted(mapping.items()) if new != old}
    _Values().same(
        namespace["preload_from_files"],
        {
            key: {
                "filename": expected_path,
                "init_for_train": init_for_train,
                "var_name_mapping": renamed,
            }
        },
    )


@given(TEXT, TEXT)
@example(NASTY[0], "x²")
@example(NASTY[1], "ﬁ")
def test_network_code_with_dims_from_extern_data(key: str, time: str) -> None:
    """The extern-data key is a literal in the dim bindings, never pasted into code."""
    try:
        pieces = _model(key=key, time=time)
    except CLEAR_ERRORS:
        return
    extern = _exec_config(pieces.extern_data_code())
    code = pieces.network_code(dims_from_extern_data=True)
    with global_config_ctx(Config({"extern_data": extern["extern_data"]})):
        namespace = _exec_config(code)
    values = _Values()
    values.same(extern["extern_data"], pieces.extern_data_dict)
    values.same(namespace["network"], pieces.network_dict)
    # The input dims of the network are the very objects of the global config's extern_data.
    entry = extern["extern_data"][key]["dim_tags"]
    assert namespace["_extern_data"][key]["dim_tags"][1] is entry[1]
    dim_names = set(namespace) - {"Dim", "batch_dim", "single_step_dim", "network"}
    dim_names -= {"get_global_config", "_extern_data"}
    assert all(isinstance(namespace[n], Dim) for n in dim_names), dim_names
    assert len(dim_names) == len(values.dims)


# -- numbers in constants, eval expressions and options -----------------------------------


def _numbers_model() -> tuple[nn.Module, dict[str, numpy.ndarray]]:
    """Outputs that depend on number literals only; their expected values."""
    feat = nn.FeatureDim("feat", 2)
    x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
    lin = nn.Linear(feat, feat)
    lin(x).mark_as_default_output()
    expected: dict[str, numpy.ndarray] = {}

    def out(name: str, tensor: nn.Tensor, value: Any, dtype: str = "float32") -> None:
        tensor.mark_as_output(name)
        expected[name] = numpy.full([2], value, dtype=dtype)

    half = nn.constant(numpy.float32(0.5), [feat])
    out("np_float32_constant", half, 0.5)
    out("np_float64_mul", half * numpy.float64(3.0), 1.5)
    out("float_subclass_mul", half * HostileFloat(4.0), 2.0)
    out("rmul_np_float64", numpy.float64(2.0) * half, 1.0)
    out("inf_add", half + float("inf"), numpy.inf)
    out("minus_inf_maximum", nn.maximum(half, float("-inf")), 0.5)
    out("nan_constant", nn.constant(float("nan"), [feat]), numpy.nan)
    out("clip_inf", nn.clip_by_value(half * 10.0, float("-inf"), numpy.float32(1.0)), 1.0)
    out("compare_inf", half < float("inf"), True, "bool")
    out("np_int64_constant", nn.constant(numpy.int64(3), [feat]) * numpy.int64(2), 6, "int32")
    out("int_subclass_add", nn.constant(HostileInt(1), [feat]) + HostileInt(2), 3, "int32")
    out("np_bool_constant", nn.constant(numpy.bool_(True), [feat]), True, "bool")
    return lin, expected


def test_numbers_are_written_as_plain_values() -> None:
    with nn.Root():
        model, _ = _numbers_model()
        pieces = ReturnnConfigPieces(model)
        code = pieces.config_code()
    assert "np." not in code and "numpy" not in code and "__import__" not in code
    _assert_config_is(code, pieces)
    network = _exec_config(code)["network"]
    # Every eval expression is plain code over source(i), tf and float(): parse and run it.
    evals = {n: layer["eval"] for n, layer in network.items() if layer.get("class") == "eval"}
    assert evals, network
    for name, expr in evals.items():
        names = {node.id for node in ast.walk(ast.parse(expr)) if isinstance(node, ast.Name)}
        assert names <= {"source", "tf", "float"}, (name, expr)
    assert network["inf_add"]["eval"] == 'source(0) + float("inf")'
    assert network["clip_inf"]["eval"] == 'tf.clip_by_value(source(0), float("-inf"), 1.0)'
    assert math.isnan(network["nan_constant"]["value"])
    constants = [layer["value"] for layer in network.values() if layer.get("class") == "constant"]
    assert {type(v) for v in constants} == {bool, int, float}, constants


def test_numpy_scalars_in_constants_keep_the_python_default_dtypes() -> None:
    f = nn.FeatureDim("f", 2)
    assert nn.constant(numpy.float64(1.0), [f]).dtype == "float32"
    assert nn.constant(numpy.int64(1), [f]).dtype == "int32"
    assert nn.constant(numpy.bool_(False), [f]).dtype == "bool"
    with pytest.raises(TypeError, match="numpy scalar or array"):
        nn.constant(numpy.complex64(1j), [f])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="bounds must be numbers"):
        nn.clip_by_value(nn.zeros([f]), "0", 1.0)  # type: ignore[arg-type]


def test_numbers_give_the_intended_values_in_returnn(roundtrip: Callable[..., Any]) -> None:
    with rc_naming.Root("numbers"):
        model, expected = _numbers_model()
        result = roundtrip(model)
    for name, value in expected.items():
        got = result.output(name)
        assert got.dtype == value.dtype, name
        numpy.testing.assert_array_equal(got.reshape(-1)[:2], value, err_msg=name)


# -- other code pieces ----------------------------------------------------------------------


@given(st.dictionaries(TEXT.map(lambda k: "#" + k), st.one_of(TEXT, st.lists(TEXT)), max_size=3))
@example({"#" + NASTY[0]: NASTY[1], "#" + NASTY[2]: [NASTY[3]]})
def test_extra_net_dict_keys_and_values(extra: dict[str, Any]) -> None:
    with nn.Root():
        feat = nn.FeatureDim("f", 2)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        lin = nn.Linear(feat, feat)
        lin(x).mark_as_default_output()
        nn.extra_net_dict().update(extra)
        pieces = ReturnnConfigPieces(lin)
        code = pieces.config_code()
    _assert_config_is(code, pieces)
    network = _exec_config(code)["network"]
    assert {k: network[k] for k in extra} == extra


def test_hostile_subclass_values_in_extra_net_dict() -> None:
    with nn.Root():
        feat = nn.FeatureDim("f", 2)
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        lin = nn.Linear(feat, feat)
        lin(x).mark_as_default_output()
        nn.extra_net_dict()[HostileStr("#config")] = {
            HostileStr("lr"): HostileFloat(0.5),
            "steps": HostileInt(3),
            "name": HostileStr("x"),
        }
        code = ReturnnConfigPieces(lin).config_code()
    assert "__import__" not in code
    network = _exec_config(code)["network"]
    assert network["#config"] == {"lr": 0.5, "steps": 3, "name": "x"}
    assert [type(v) for v in network["#config"].values()] == [float, int, str]


@pytest.mark.parametrize("key", ["ﬁ", "if", "Dim", "extern_data", "time_dim", "a b", "é"])
def test_extern_data_piece_refuses_unsafe_assignment_names(key: str) -> None:
    time = nn.SpatialDim("time")
    data = nn.Data(name="data", dim_tags=[nn.batch_dim, time])
    if key == "time_dim":  # a dim identifier: the dim gets another name instead
        code = nn.ReturnnConfigSerializer.get_base_extern_data_py_code_str_direct(
            {"data": data}, other={key: 1}
        )
        namespace = _exec_config(code)
        assert namespace["time_dim"] == 1 and namespace["extern_data"]["data"]["dim_tags"][1].name
        return
    with pytest.raises(nn.RcNnError, match="no identifier the code can assign"):
        nn.ReturnnConfigSerializer.get_base_extern_data_py_code_str_direct(
            {"data": data}, other={key: 1}
        )


def test_numpy_arrays_and_int_subclass_sizes_in_every_piece() -> None:
    with nn.Root():
        # An int subclass as a dim size (numpy ints are refused by rc-nn and RETURNN).
        feat = nn.FeatureDim("f", HostileInt(2))
        x = nn.get_extern_data(nn.Data("data", dim_tags=[nn.batch_dim, feat]))
        lin = nn.Linear(feat, feat)
        lin.weight.initial = numpy.eye(2, dtype="float32")
        (
            lin(x) + nn.constant(numpy.array([1.0, 2.0], dtype="float32"), [feat])
        ).mark_as_default_output()
        pieces = ReturnnConfigPieces(lin)
    full = pieces.config_code()
    assert "__import__" not in full and "Dim(2, " in full
    _assert_config_is(full, pieces)
    extern = _exec_config(pieces.extern_data_code())
    with global_config_ctx(Config({"extern_data": extern["extern_data"]})):
        network = _exec_config(pieces.network_code(dims_from_extern_data=True))["network"]
    assert "numpy" not in extern  # imported only where an array is written
    _Values().same(network, pieces.network_dict)


def test_cli_reports_an_unwritable_value_and_writes_nothing(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "unwritable_model.py").write_text(
        "import rc_nn as nn\n"
        "def build():\n"
        "    f = nn.FeatureDim('f', 2)\n"
        "    x = nn.get_extern_data(nn.Data('data', dim_tags=[nn.batch_dim, f]))\n"
        "    lin = nn.Linear(f, f)\n"
        "    lin(x).mark_as_default_output()\n"
        "    nn.extra_net_dict()['#config'] = {'scale': 1j}\n"
        "    return lin\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "out.config"
    assert main(["build", "unwritable_model:build", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "ConfigCodeError: cannot write a complex as config code" in err, err
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} - {"__pycache__"} == {"unwritable_model.py"}
