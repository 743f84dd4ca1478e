"""Arguments that must be static dims: one check, one message, at the user's line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import rc_nn as nn

_F = nn.FeatureDim("f", 8)


def _calls() -> dict[str, tuple[str, Callable[[Any], object]]]:
    """What is called with a bad dim, and the argument the message must name."""
    return {
        "LSTM": ("in_dim", lambda d: nn.LSTM(d, _F)),
        "ZoneoutLSTM": ("out_dim", lambda d: nn.ZoneoutLSTM(_F, d)),
        "BlstmSingleLayer": ("dim", lambda d: nn.BlstmSingleLayer(_F, d)),
        "SelfAttention": (
            "key_dim_total",
            lambda d: nn.SelfAttention(_F, None, key_dim_total=d, value_dim_total=_F, num_heads=2),
        ),
        "ConformerConvSubsample": (
            "out_dims[0]",
            lambda d: nn.ConformerConvSubsample(_F, out_dims=[d], filter_sizes=[3]),
        ),
        "TransformerEncoderLayer": ("out_dim", nn.TransformerEncoderLayer),
        "LstmAttentionEncoderDecoder": (
            "target_dim",
            lambda d: nn.LstmAttentionEncoderDecoder(_F, d),
        ),
        "random_label": ("sparse_dim", lambda d: nn.random_label([nn.batch_dim], d)),
    }


@pytest.mark.parametrize("name", sorted(_calls()))
def test_dynamic_dim_is_refused(name: str) -> None:
    arg, call = _calls()[name]
    with pytest.raises(nn.DimMismatchError) as info:
        call(nn.SpatialDim("time"))
    assert not isinstance(info.value, nn.NotADimError)
    message = str(info.value)
    assert f"{name}: {arg} must be a static nn.Dim" in message
    assert "got the dynamic dim time(?)" in message
    assert f"{__file__}:" in message  # the user's line


@pytest.mark.parametrize("name", sorted(_calls()))
def test_non_dim_is_refused(name: str) -> None:
    arg, call = _calls()[name]
    with pytest.raises(nn.NotADimError) as info:
        call(8)
    error = info.value
    # callers may catch it as a type error or as rc-nn's dim error (earlier behaviour)
    assert isinstance(error, TypeError) and isinstance(error, nn.DimMismatchError)
    message = str(error)
    assert f"{name}: {arg} must be a static nn.Dim (e.g. nn.FeatureDim({arg!r}, 256))" in message
    assert "got int 8" in message
    assert f"{__file__}:" in message


def test_slice_nd_size_must_be_static() -> None:
    time = nn.SpatialDim("time")
    x = nn.zeros([nn.batch_dim, time, _F])
    start = nn.zeros([nn.batch_dim], dtype="int32")
    with pytest.raises(nn.DimMismatchError, match=r"slice_nd: size must be a static nn\.Dim"):
        nn.slice_nd(x, start=start, axis=time, size=nn.SpatialDim("window"))
    with pytest.raises(nn.AxisError, match=r"slice_nd: size must be an nn\.Dim"):
        nn.slice_nd(x, start=start, axis=time, size=3)  # type: ignore[arg-type]


def test_dim_lists_in_messages_write_the_batch_dim_as_b() -> None:
    time = nn.SpatialDim("time")
    x = nn.zeros([nn.batch_dim, time, nn.FeatureDim("f", 6)])
    parts = [nn.FeatureDim("a", 4), nn.FeatureDim("b", 2)]
    with pytest.raises(nn.DimMismatchError, match=r"\(dims: \[B, time\(\?\), f\(6\)\];"):
        nn.split_dims(x, axis=x.dims[2], dims=parts)
