"""TF-free tests of the parametrized layers: templates, parameter names, errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import rc_naming
import rc_nn as nn

THIS_FILE = __file__.rsplit("/", 1)[-1]


@pytest.fixture(autouse=True)
def _fresh_root() -> Iterator[None]:
    with rc_naming.Root("test-layers"):
        yield


def _names(module: nn.Module) -> list[str]:
    return [name for name, _ in module.named_parameters()]


def _btf(feat_size: int = 3) -> tuple[nn.Dim, nn.Dim, nn.Tensor]:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", feat_size)
    return time, feat, nn.zeros([nn.batch_dim, time, feat])


# ---------------------------------------------------------------------------
# LayerNorm


def test_layer_norm_template_and_names() -> None:
    _time, feat, x = _btf()
    norm = nn.LayerNorm(feat)
    assert _names(norm) == ["scale", "bias"]
    y = norm(x)
    assert y.dims == x.dims


def test_layer_norm_is_one_layer_norm_on_our_params() -> None:
    _, feat, x = _btf()
    norm = nn.LayerNorm(feat)
    y = norm(x)
    # One RETURNN layer_norm whose scale and bias are our parameters (reuse_params).
    assert y.layer_dict is not None and y.layer_dict["class"] == "layer_norm"
    assert y.layer_dict["from"] is x and y.layer_dict["in_dim"] is feat
    param_map = y.layer_dict["reuse_params"]["map"]
    assert param_map["scale"]["layer_output"] is norm.scale
    assert param_map["bias"]["layer_output"] is norm.bias


def test_layer_norm_wrong_dim_error() -> None:
    _, _, x = _btf()
    other = nn.FeatureDim("other", 3)
    with pytest.raises(nn.DimMismatchError) as info:
        nn.LayerNorm(other)(x)
    msg = str(info.value)
    assert "other(3)" in msg and "feat(3)" in msg and THIS_FILE in msg


# ---------------------------------------------------------------------------
# Conv


def test_conv1d_names_and_shapes() -> None:
    feat, out = nn.FeatureDim("in", 3), nn.FeatureDim("out", 5)
    conv = nn.Conv1d(feat, out, 4)
    assert _names(conv) == ["filter", "bias"]
    assert [d.dimension for d in conv.filter.dims] == [4, 3, 5]
    assert conv.filter.dims[1:] == (feat, out)
    assert conv.bias.dims == (out,)
    assert _names(nn.Conv1d(feat, out, 4, with_bias=False)) == ["filter"]


def test_conv1d_nested_names() -> None:
    feat, out = nn.FeatureDim("in", 3), nn.FeatureDim("out", 5)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(feat, out, 3)

    assert _names(Net()) == ["conv.filter", "conv.bias"]


@pytest.mark.parametrize(
    ("padding", "stride", "dilation", "size", "expected"),
    [
        ("same", 1, 1, 10, 10),
        ("same", 2, 1, 10, 5),
        ("same", 3, 1, 10, 4),
        ("valid", 1, 1, 10, 8),
        ("valid", 2, 1, 10, 4),
        ("valid", 1, 2, 10, 6),
        ("valid", 3, 2, 10, 2),
    ],
)
def test_conv1d_static_out_sizes(
    padding: str, stride: int, dilation: int, size: int, expected: int
) -> None:
    # Same formula as TF: same -> ceil(n / s); valid -> ceil((n - (k - 1) * d) / s).
    time, feat, out = nn.SpatialDim("t", size), nn.FeatureDim("in", 2), nn.FeatureDim("out", 3)
    x = nn.zeros([nn.batch_dim, time, feat])
    conv = nn.Conv1d(feat, out, 3, padding=padding, strides=stride, dilation_rate=dilation)
    y, out_time = conv(x, in_spatial_dim=time)
    assert out_time.dimension == expected
    assert y.dims == (nn.batch_dim, out_time, out)
    assert y.feature_dim == out


def test_conv1d_dynamic_out_dims() -> None:
    time, feat, x = _btf()
    out = nn.FeatureDim("out", 4)
    _y, t_same = nn.Conv1d(feat, out, 3)(x, in_spatial_dim=time)
    assert t_same is time
    _, t2 = nn.Conv1d(feat, out, 3, strides=2)(x, in_spatial_dim=time)
    assert t2 is time.ceildiv_right(2)
    _, t_valid = nn.Conv1d(feat, out, 3, padding="valid")(x, in_spatial_dim=time)
    assert t_valid is time.sub_left(1).sub_right(1)


def test_conv1d_infers_single_spatial_dim_and_keeps_other_dims_first() -> None:
    time, feat, out = nn.SpatialDim("time"), nn.FeatureDim("in", 2), nn.FeatureDim("out", 3)
    heads = nn.FeatureDim("heads", 2)
    x = nn.zeros([nn.batch_dim, time, feat])
    y, t = nn.Conv1d(feat, out, 3)(x)
    assert t is time and y.dims == (nn.batch_dim, time, out)
    # feature dim first, extra dims: those stay in front (they are batch dims for RETURNN)
    x2 = nn.zeros([feat, nn.batch_dim, heads, time])
    y2, _ = nn.Conv1d(feat, out, 3)(x2, in_spatial_dim=time)
    assert y2.dims == (nn.batch_dim, heads, time, out)


def test_conv1d_user_out_spatial_dim() -> None:
    time, feat, x = _btf()
    mine = nn.SpatialDim("down")
    y, t = nn.Conv1d(feat, nn.FeatureDim("o", 2), 2, strides=2)(
        x, in_spatial_dim=time, out_spatial_dim=mine
    )
    assert t is mine and mine in y.dims


def test_conv2d_and_3d_templates() -> None:
    time, freq = nn.SpatialDim("time"), nn.SpatialDim("freq", 8)
    ch, out = nn.FeatureDim("ch", 1), nn.FeatureDim("out", 4)
    x = nn.zeros([nn.batch_dim, time, freq, ch])
    conv = nn.Conv2d(ch, out, (3, 2), padding="valid", strides=(1, 2))
    assert [d.dimension for d in conv.filter.dims] == [3, 2, 1, 4]
    # spatial dims in the given order (freq first), as RETURNN reorders them
    y, (f2, t2) = conv(x, in_spatial_dims=[freq, time])
    assert f2.dimension == 6  # filter 3 on freq
    assert t2 is time.sub_right(1).ceildiv_right(2)  # filter 2, stride 2 on time
    assert y.dims == (nn.batch_dim, f2, t2, out)
    a, b, c = (nn.SpatialDim(n, 4) for n in "abc")
    x3 = nn.zeros([nn.batch_dim, a, b, c, ch])
    y3, dims = nn.Conv3d(ch, out, 3)(x3, in_spatial_dims=[a, b, c])
    assert dims == [a, b, c] and y3.dims == (nn.batch_dim, a, b, c, out)


def test_conv_errors_wrong_in_dim() -> None:
    time, _feat, x = _btf()
    a = nn.FeatureDim("a", 3)
    with pytest.raises(nn.DimMismatchError) as info:
        nn.Conv1d(a, nn.FeatureDim("o", 2), 3)(x, in_spatial_dim=time)
    msg = str(info.value)
    assert "a(3)" in msg and "time(?)" in msg and "feat(3)" in msg and THIS_FILE in msg


def test_conv_errors_missing_or_ambiguous_spatial_dim() -> None:
    time, feat = nn.SpatialDim("time"), nn.FeatureDim("feat", 3)
    other = nn.SpatialDim("other")
    conv = nn.Conv1d(feat, nn.FeatureDim("o", 2), 3)
    with pytest.raises(nn.AxisError) as info:
        conv(nn.zeros([nn.batch_dim, time, other, feat]))
    msg = str(info.value)
    assert "ambiguous" in msg and "time(?)" in msg and "other(?)" in msg and THIS_FILE in msg
    with pytest.raises(nn.AxisError, match="no spatial dim"):
        conv(nn.zeros([nn.batch_dim, feat]))
    with pytest.raises(nn.AxisError, match=r"not a dim of the input") as info:
        conv(nn.zeros([nn.batch_dim, time, feat]), in_spatial_dim=other)
    assert THIS_FILE in str(info.value)
    with pytest.raises(nn.AxisError, match="feature dim"):
        conv(nn.zeros([nn.batch_dim, time, feat]), in_spatial_dim=feat)
    conv2 = nn.Conv2d(feat, nn.FeatureDim("o", 2), (3, 3))
    with pytest.raises(nn.AxisError, match="2 spatial dims are needed"):
        conv2(nn.zeros([nn.batch_dim, time, other, feat]))
    with pytest.raises(ValueError, match="must be 2 dims"):
        conv2(nn.zeros([nn.batch_dim, time, other, feat]), in_spatial_dims=[time])


@pytest.mark.parametrize(
    ("cls", "filter_size", "match"),
    [
        (nn.Conv1d, 0, "filter_size must be 1 positive int"),
        (nn.Conv1d, (3, 3), "filter_size must be 1 positive int"),
        (nn.Conv2d, (3,), "filter_size must be 2 positive ints"),
        (nn.Conv2d, (3, -1), "filter_size must be 2 positive ints"),
        (nn.Conv3d, "3", "filter_size must be a positive int or a sequence"),
        (nn.Conv1d, 2.5, "filter_size must be a positive int or a sequence"),
    ],
)
def test_conv_errors_bad_filter_size(cls: type[nn.Module], filter_size: object, match: str) -> None:
    with pytest.raises(ValueError, match=match) as info:
        cls(nn.FeatureDim("i", 2), nn.FeatureDim("o", 2), filter_size)  # type: ignore[call-arg]
    assert THIS_FILE in str(info.value)


def test_conv_errors_other() -> None:
    feat = nn.FeatureDim("in", 2)
    with pytest.raises(ValueError, match="padding must be 'same' or 'valid'"):
        nn.Conv1d(feat, nn.FeatureDim("o", 2), 3, padding="full")
    # in_dim == out_dim is fine (as in the predecessor): the filter's input axis is its own dim.
    square = nn.Conv1d(feat, feat, 3)
    assert [d.dimension for d in square.filter.dims] == [3, 2, 2]
    assert square.filter.dims[1] is not feat and square.filter.dims[2] is feat
    t = nn.SpatialDim("t")
    y, t_out = square(nn.zeros([nn.batch_dim, t, feat]), in_spatial_dim=t, out_spatial_dim=t)
    assert y.dims == (nn.batch_dim, t, feat) and t_out is t
    with pytest.raises(nn.DimMismatchError, match="dynamic"):
        nn.Conv1d(nn.SpatialDim("t"), nn.FeatureDim("o", 2), 3)
    with pytest.raises(ValueError, match="strides must be 1 positive int"):
        nn.Conv1d(feat, nn.FeatureDim("o", 2), 3, strides=0)
    short = nn.SpatialDim("short", 2)
    conv = nn.Conv1d(feat, nn.FeatureDim("o", 2), 3, padding="valid")
    with pytest.raises(nn.DimMismatchError, match="shorter than the filter's reach 3"):
        conv(nn.zeros([nn.batch_dim, short, feat]), in_spatial_dim=short)
    time = nn.SpatialDim("time")
    with pytest.raises(nn.DimMismatchError, match="dense float"):
        conv(nn.zeros([nn.batch_dim, time, feat], dtype="int32"), in_spatial_dim=time)
    with pytest.raises(nn.DimMismatchError, match="no batch dim"):
        conv(nn.zeros([time, feat]), in_spatial_dim=time)


def test_transposed_conv_templates() -> None:
    time, feat, x = _btf()
    out = nn.FeatureDim("out", 2)
    tconv = nn.TransposedConv1d(feat, out, 3, strides=2, padding="valid")
    assert _names(tconv) == ["filter", "bias"]
    assert tconv.filter.dims[1:] == (out, feat)  # RETURNN's transposed filter layout
    y, up = tconv(x, in_spatial_dim=time)
    assert up is time * 2 + 1
    assert y.dims == (nn.batch_dim, up, out)
    a, b = nn.SpatialDim("a", 3), nn.SpatialDim("b", 5)
    _y2, dims = nn.TransposedConv2d(feat, out, (2, 3), strides=(2, 1))(
        nn.zeros([nn.batch_dim, a, b, feat]), in_spatial_dims=[a, b]
    )
    assert [d.dimension for d in dims] == [6, 5]


# ---------------------------------------------------------------------------
# Pool


def _with_feature(x: nn.Tensor, feat: nn.Dim) -> nn.Tensor:
    """``x`` through a Linear (a new feature dim ``h``)."""
    return nn.Linear(feat, nn.FeatureDim("h", 2))(x)


def test_pool1d_template() -> None:
    time, feat, x = _btf()
    h = _with_feature(x, feat)
    y, t2 = nn.pool1d(h, mode="max", pool_size=3, in_spatial_dim=time)
    assert t2 is time.sub_left(1).sub_right(1).ceildiv_right(3)
    assert y.dims == (nn.batch_dim, t2, h.feature_dim)
    y2, t_same = nn.pool1d(h, mode="avg", pool_size=2, padding="same", strides=1)
    assert t_same is time and y2.dims == h.dims
    assert y.layer_dict is not None and y.layer_dict["class"] == "pool"


def test_pool2d_template() -> None:
    a, b, feat = nn.SpatialDim("a", 5), nn.SpatialDim("b", 4), nn.FeatureDim("f", 2)
    h = _with_feature(nn.zeros([nn.batch_dim, a, b, feat]), feat)
    y, (b2, a2) = nn.pool2d(h, mode="max", pool_size=(2, 2), in_spatial_dims=[b, a])
    assert (b2.dimension, a2.dimension) == (2, 2)
    assert y.dims == (nn.batch_dim, b2, a2, h.feature_dim)


def test_pool_errors() -> None:
    time, feat, x = _btf()
    h = _with_feature(x, feat)
    with pytest.raises(ValueError, match="mode must be 'max' or 'avg'"):
        nn.pool1d(h, mode="sum", pool_size=2, in_spatial_dim=time)
    with pytest.raises(ValueError, match="pool_size must be 1 positive int"):
        nn.pool1d(h, mode="max", pool_size=0, in_spatial_dim=time)
    with pytest.raises(nn.AxisError, match=r"feature \(channel\) dim") as info:
        # [batch, time] has no feature dim (RETURNN's constant makes the last static dim one)
        nn.pool1d(nn.zeros([nn.batch_dim, time]), mode="max", pool_size=2, in_spatial_dim=time)
    assert THIS_FILE in str(info.value) and "time(?)" in str(info.value)
    with pytest.raises(ValueError, match="must be 2 dims"):
        nn.pool2d(h, mode="max", pool_size=2, in_spatial_dims=[time])
    with pytest.raises(ValueError, match="dilation_rate"):
        nn.pool1d(h, mode="max", pool_size=2, dilation_rate=2, in_spatial_dim=time)


# ---------------------------------------------------------------------------
# BatchNorm


def test_batch_norm_template_names_and_layer() -> None:
    _time, feat, x = _btf()
    bn = nn.BatchNorm(feat)
    assert _names(bn) == ["running_mean", "running_variance", "gamma", "beta"]
    assert not bn.running_mean.trainable and bn.running_mean.auxiliary
    assert bn.gamma.trainable
    y = bn(x)
    assert y.dims == x.dims and y.feature_dim == feat
    assert y.layer_dict is not None
    mapping = y.layer_dict["reuse_params"]["map"]
    assert mapping["batch_norm/v2_mean"]["layer_output"] is bn.running_mean
    assert y.layer_dict["masked_time"] is True
    assert _names(nn.BatchNorm(feat, affine=False)) == ["running_mean", "running_variance"]


def test_batch_norm_masks_only_with_padding() -> None:
    """Masked statistics (RETURNN's masked_time) need a dynamic dim next to the batch dim;
    without one there is no padding and RETURNN would assert a time axis."""
    feat = nn.FeatureDim("feat", 3)
    x = nn.zeros([nn.batch_dim, feat])
    y = nn.BatchNorm(feat)(x)
    assert y.layer_dict is not None and y.layer_dict["masked_time"] is False
    assert y.layer_dict["from"] is x and y.dims == x.dims
    no_batch = nn.zeros([nn.SpatialDim("t"), feat])
    y = nn.BatchNorm(feat)(no_batch)
    assert y.layer_dict is not None and y.layer_dict["masked_time"] is False


def test_batch_norm_masked_states_time_axis_and_moves_in_dim_after_static_dims() -> None:
    time, feat, other = nn.SpatialDim("time"), nn.FeatureDim("feat", 3), nn.FeatureDim("g", 2)
    x = nn.zeros([nn.batch_dim, time, feat, other])
    y = nn.BatchNorm(feat)(x)
    # feat last (RETURNN's flattened masked statistics take the last static axis)
    assert y.dims == (nn.batch_dim, time, other, feat) and y.feature_dim == feat
    assert y.layer_dict is not None and y.layer_dict["masked_time"] is True
    axes = y.layer_dict["from"]
    assert axes.layer_dict["class"] == "reinterpret_data"
    assert axes.layer_dict["set_axes"] == {"T": time}
    moved = axes.layer_dict["from"]
    assert moved.layer_dict["class"] == "transpose" and moved.layer_dict["from"] is x
    assert moved.layer_dict["perm"] == [nn.batch_dim, time, other, feat]
    # only dynamic dims after feat: no transpose
    x2 = nn.zeros([nn.batch_dim, feat, time])
    y2 = nn.BatchNorm(feat)(x2)
    assert y2.dims == x2.dims
    assert y2.layer_dict is not None and y2.layer_dict["from"].layer_dict["from"] is x2


def test_batch_norm_errors() -> None:
    _, _, x = _btf()
    with pytest.raises(nn.DimMismatchError, match="no input dim other") as info:
        nn.BatchNorm(nn.FeatureDim("other", 3))(x)
    assert THIS_FILE in str(info.value)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm(nn.FeatureDim("f", 2), momentum=0.0)


# ---------------------------------------------------------------------------
# LSTM


def test_lstm_names_templates_and_state() -> None:
    time, feat, x = _btf()
    hid = nn.FeatureDim("hid", 4)
    lstm = nn.LSTM(feat, hid)
    assert _names(lstm) == ["param_W_re", "param_W", "param_b"]
    assert [d.dimension for d in lstm.param_W.dims] == [3, 16]
    assert lstm.param_W_re.dims == (hid, 4 * hid)
    assert lstm.param_b.dims == (4 * hid,)
    y, state = lstm(x, spatial_dim=time)
    assert y.dims == (time, nn.batch_dim, hid)  # RETURNN's time-major rec output
    assert isinstance(state, nn.LstmState)
    assert state.h.dims == state.c.dims == (nn.batch_dim, hid)
    assert state.h.layer_dict is not None and state.h.layer_dict["key"] == "h"
    y2, _ = nn.LSTM(hid, hid)(y, spatial_dim=time, state=state)
    assert y2.layer_dict is not None
    assert y2.layer_dict["initial_state"] == {"h": state.h, "c": state.c}
    assert "initial_state" not in (y.layer_dict or {})


def test_lstm_errors() -> None:
    time, feat, x = _btf()
    hid = nn.FeatureDim("hid", 2)
    lstm = nn.LSTM(feat, hid)
    with pytest.raises(nn.DimMismatchError, match="no input dim a") as info:
        nn.LSTM(nn.FeatureDim("a", 3), hid)(x, spatial_dim=time)
    assert THIS_FILE in str(info.value) and "feat(3)" in str(info.value)
    with pytest.raises(nn.AxisError, match="not a spatial dim") as info:
        lstm(x, spatial_dim=nn.SpatialDim("other"))
    assert THIS_FILE in str(info.value)
    with pytest.raises(TypeError, match="missing 1 required keyword-only argument"):
        lstm(x)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="single step"):
        lstm(x, spatial_dim=nn.single_step_dim, direction=-1)
    with pytest.raises(ValueError, match="direction must be 1"):
        lstm(x, spatial_dim=time, direction=0)
    heads = nn.FeatureDim("heads", 2)
    with pytest.raises(NotImplementedError, match=r"heads\(2\)"):
        lstm(nn.zeros([nn.batch_dim, heads, time, feat]), spatial_dim=time)
    bad = nn.zeros([hid, nn.batch_dim])
    with pytest.raises(nn.DimMismatchError, match=r"state\.h must have the dims"):
        lstm(x, spatial_dim=time, state=nn.LstmState(h=bad, c=bad))
    with pytest.raises(nn.DimMismatchError, match="dynamic"):
        nn.LSTM(feat, nn.SpatialDim("t"))
