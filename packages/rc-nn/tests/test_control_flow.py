"""Control flow without TensorFlow: templates of loop/cond results and clear errors."""

from __future__ import annotations

import pytest

import rc_nn as nn

TIME = nn.SpatialDim("time")
FEAT = nn.FeatureDim("f", 3)


def _x() -> nn.Tensor:
    return nn.zeros([nn.batch_dim, TIME, FEAT])


# -- Loop templates --------------------------------------------------------------------------


def test_loop_templates() -> None:
    x = _x()
    loop = nn.Loop(axis=TIME)
    loop.state.h = nn.zeros([nn.batch_dim, FEAT])
    with loop:
        x_t = loop.unstack(x)
        assert x_t.dims == (nn.batch_dim, FEAT)
        prev = loop.state.h
        assert prev.dims == (nn.batch_dim, FEAT)
        loop.state.h = prev + x_t
        assert loop.state.h is not prev  # after assignment: this frame's value
        stacked = loop.stack(loop.state.h)
        last = loop.last(x_t)
        i = loop.iteration
    assert stacked.dims == (TIME, nn.batch_dim, FEAT)
    assert last.dims == (nn.batch_dim, FEAT)
    assert (i.dims, i.dtype) == ((), "int32")
    assert loop.axis is TIME


def test_end_loop_has_new_axis() -> None:
    loop = nn.Loop(max_seq_len=4)
    assert loop.axis.is_dynamic() and loop.axis is not TIME
    loop.state.c = nn.zeros([nn.batch_dim, FEAT])
    with loop:
        loop.state.c = loop.state.c + 1.0
        loop.end(loop.iteration >= 2, include_eos=False)
        y = loop.stack(loop.state.c)
    assert y.dims == (loop.axis, nn.batch_dim, FEAT)


def test_nested_state_structure() -> None:
    x = _x()
    loop = nn.Loop(axis=TIME)
    loop.state.lstm = nn.LstmState(
        h=nn.zeros([nn.batch_dim, FEAT]), c=nn.zeros([nn.batch_dim, FEAT])
    )
    with loop:
        prev = loop.state.lstm
        assert isinstance(prev, nn.LstmState)
        x_t = loop.unstack(x)
        loop.state.lstm = nn.LstmState(h=prev.h + x_t, c=prev.c * 2.0)
        y = loop.stack(loop.state.lstm.h)
    assert y.dims == (TIME, nn.batch_dim, FEAT)
    final = loop.state.lstm
    assert isinstance(final, nn.LstmState) and final.c.dims == (nn.batch_dim, FEAT)


def test_initial_state_inside_loop_is_moved_before_it() -> None:
    x = _x()
    with nn.Loop(axis=TIME) as loop:
        loop.state.h = nn.zeros([nn.batch_dim, FEAT])  # depends on nothing of the loop
        loop.state.h = loop.state.h + loop.unstack(x)
        y = loop.stack(loop.state.h)
    assert y.dims == (TIME, nn.batch_dim, FEAT)


# -- Loop errors ---------------------------------------------------------------------------


def test_loop_tensor_used_outside_loop() -> None:
    x = _x()
    with nn.Loop(axis=TIME) as loop:
        x_t = loop.unstack(x)
        _ = loop.stack(x_t)
    with pytest.raises(nn.ControlFlowError, match=r"loop.stack\(x\).*loop.last\(x\)") as info:
        _ = x_t + 1.0
    assert "test_control_flow.py" in str(info.value)


def test_state_read_but_never_assigned() -> None:
    x = _x()
    loop = nn.Loop(axis=TIME)
    loop.state.h = nn.zeros([nn.batch_dim, FEAT])
    with pytest.raises(nn.ControlFlowError, match="never assigned"), loop:
        _ = loop.stack(loop.state.h + loop.unstack(x))


def test_state_dims_mismatch() -> None:
    x = _x()
    loop = nn.Loop(axis=TIME)
    loop.state.h = nn.zeros([nn.batch_dim])
    with pytest.raises(nn.DimMismatchError, match="does not match the initial value"), loop:
        loop.state.h = loop.unstack(x)


def test_state_initial_from_loop_values() -> None:
    x = _x()
    with pytest.raises(nn.ControlFlowError, match="initial value"), nn.Loop(axis=TIME) as loop:
        loop.state.h = loop.unstack(x) * 2.0


def test_unknown_state() -> None:
    loop = nn.Loop(axis=TIME)
    with pytest.raises(AttributeError, match="no state 'nope'"):
        _ = loop.state.nope


def test_stack_outside_with_block() -> None:
    loop = nn.Loop(axis=TIME)
    with pytest.raises(nn.ControlFlowError, match="inside `with loop:`"):
        loop.stack(nn.zeros([FEAT]))


def test_stack_of_outer_tensor() -> None:
    outer = nn.zeros([nn.batch_dim, FEAT])
    with (
        pytest.raises(nn.ControlFlowError, match="not computed in this loop"),
        nn.Loop(axis=TIME) as loop,
    ):
        loop.stack(outer)


def test_unstack_errors() -> None:
    other, x = nn.zeros([nn.batch_dim, FEAT]), _x()
    with nn.Loop(axis=TIME) as loop:
        with pytest.raises(nn.AxisError, match="has no dim time"):
            loop.unstack(other)
        inside = nn.zeros([nn.batch_dim, TIME, FEAT])
        with pytest.raises(nn.ControlFlowError, match="computed inside the loop"):
            loop.unstack(inside)
        x_t = loop.unstack(x)
        with pytest.raises(nn.AxisError):
            loop.unstack(x_t)
        _ = loop.stack(x_t)
    gen = nn.Loop(max_seq_len=3)
    with pytest.raises(nn.AxisError, match="has no axis"), gen:
        gen.unstack(x)


def test_loop_without_axis_needs_end() -> None:
    loop = nn.Loop(max_seq_len=3)
    loop.state.c = nn.zeros([nn.batch_dim])
    with pytest.raises(nn.ControlFlowError, match="needs an end condition"), loop:
        loop.state.c = loop.state.c + 1.0


def test_stacked_result_not_usable_inside_loop() -> None:
    x = _x()
    with nn.Loop(axis=TIME) as loop:
        y = loop.stack(loop.unstack(x))
        with pytest.raises(nn.ControlFlowError, match="exists only after the loop"):
            _ = y * 2.0


def test_end_condition_must_be_bool() -> None:
    with nn.Loop(max_seq_len=3) as loop:
        with pytest.raises(nn.DimMismatchError, match="bool"):
            loop.end(nn.zeros([nn.batch_dim]), include_eos=False)
        loop.end(loop.iteration >= 1, include_eos=False)
        with pytest.raises(nn.ControlFlowError, match="already called"):
            loop.end(loop.iteration >= 1, include_eos=False)
        _ = loop.stack(loop.iteration)


def test_loop_reused() -> None:
    x = _x()
    loop = nn.Loop(axis=TIME)
    with loop:
        _ = loop.stack(loop.unstack(x))
    with pytest.raises(nn.ControlFlowError, match="already used"), loop:
        pass


def test_bad_loop_arguments() -> None:
    with pytest.raises(nn.AxisError):
        nn.Loop(axis=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_seq_len"):
        nn.Loop(max_seq_len=0)


# -- Cond --------------------------------------------------------------------------------------


def _scalar_bool() -> nn.Tensor:
    return nn.reduce_sum(_x(), axis=[nn.batch_dim, TIME, FEAT]) > 0.0


def test_cond_result_template_and_structure() -> None:
    x, c = _x(), _scalar_bool()
    with nn.Cond(c) as cond:
        cond.true = (x, nn.reduce_sum(x, axis=FEAT))
        cond.false = (x * 2.0, nn.reduce_max(x, axis=FEAT))
    a, b = cond.result
    assert a.dims == x.dims and b.dims == (nn.batch_dim, TIME)
    assert b.parent is a  # a sub-layer of the cond layer: cond/result_1


def test_cond_branch_dims_mismatch() -> None:
    x, c = _x(), _scalar_bool()
    with pytest.raises(nn.DimMismatchError, match="both branches must give the same dims"):
        with nn.Cond(c) as cond:
            cond.true = x
            cond.false = nn.reduce_sum(x, axis=FEAT)


def test_cond_structure_mismatch() -> None:
    x, c = _x(), _scalar_bool()
    with pytest.raises(nn.DimMismatchError, match="another structure"), nn.Cond(c) as cond:
        cond.true = {"a": x}
        cond.false = {"b": x}


def test_cond_false_missing() -> None:
    with (
        pytest.raises(nn.ControlFlowError, match=r"cond\.false must be set"),
        nn.Cond(_scalar_bool()) as cond,
    ):
        cond.true = _x()


def test_cond_other_branch_tensor() -> None:
    x, c = _x(), _scalar_bool()
    with pytest.raises(nn.ControlFlowError, match="true branch"), nn.Cond(c) as cond:
        a = x * 2.0
        cond.true = a
        cond.false = a + 1.0


def test_cond_branch_tensor_outside() -> None:
    x, c = _x(), _scalar_bool()
    with nn.Cond(c) as cond:
        a = x * 2.0
        cond.true = a
        cond.false = x
    with pytest.raises(nn.ControlFlowError, match=r"cond\.result"):
        _ = a + 1.0
    assert cond.result.dims == x.dims


def test_cond_condition_must_be_scalar_bool() -> None:
    with pytest.raises(nn.DimMismatchError, match="scalar bool"):
        nn.Cond(_x() > 0.0)


def test_cond_result_before_exit() -> None:
    with nn.Cond(_scalar_bool()) as cond:
        cond.true = _x()
        with pytest.raises(nn.ControlFlowError, match="after the with-block"):
            _ = cond.result
        cond.false = _x()


def test_initial_state_from_other_loop() -> None:
    x = _x()
    with nn.Loop(axis=TIME) as first:
        x_t = first.unstack(x)
        _ = first.stack(x_t)
    second = nn.Loop(axis=TIME)
    with pytest.raises(nn.ControlFlowError, match="not visible where the loop runs"):
        second.state.h = x_t


# -- Search ------------------------------------------------------------------------------------


def test_choice_template_and_errors() -> None:
    classes = nn.FeatureDim("classes", 4)
    targets = nn.get_extern_data(
        nn.Data("targets", dim_tags=[nn.batch_dim, nn.SpatialDim("out")], sparse_dim=classes)
    )
    scores = nn.zeros([nn.batch_dim, classes])
    with pytest.raises(NotImplementedError, match=r"only supported inside an nn\.Loop"):
        nn.choice(scores, target=targets, beam_size=2)
    with nn.Loop(max_seq_len=3) as loop:
        label = nn.choice(nn.zeros([nn.batch_dim, classes]), target=targets, beam_size=2)
        assert (label.dims, label.dtype, label.sparse_dim) == ((nn.batch_dim,), "int32", classes)
        with pytest.raises(nn.DimMismatchError, match=r"\[batch, classes\]"):
            nn.choice(nn.zeros([nn.batch_dim, TIME, classes]), target=targets, beam_size=2)
        with pytest.raises(ValueError, match="input_type"):
            nn.choice(nn.zeros([nn.batch_dim, classes]), target=None, beam_size=2, input_type="x")
        loop.end(label == 0, include_eos=True)
        out = loop.stack(label)
    assert nn.decide(out).dims == (nn.batch_dim, loop.axis)


# -- Masked computation ------------------------------------------------------------------------


def test_masked_computation_errors() -> None:
    x = _x()
    with pytest.raises(NotImplementedError, match=r"inside an nn\.Loop only"):
        with nn.MaskedComputation(mask=nn.zeros([nn.batch_dim], dtype="bool")):
            pass
    with pytest.raises(nn.DimMismatchError, match="bool tensor"):
        nn.MaskedComputation(mask=nn.zeros([nn.batch_dim]))
    loop = nn.Loop(axis=TIME)
    loop.state.acc = nn.zeros([nn.batch_dim, FEAT])
    with loop:
        x_t = loop.unstack(x)
        mask = nn.reduce_sum(x_t, axis=FEAT) > 0.0
        with pytest.raises(nn.ControlFlowError, match="nothing leaves"):
            with nn.MaskedComputation(mask=mask):
                y = x_t * 2.0
        with pytest.raises(nn.ControlFlowError, match="Assign it to a loop state"):
            _ = y + 1.0
        with nn.MaskedComputation(mask=mask):
            loop.state.acc = loop.state.acc + x_t
        assert loop.state.acc.layer_dict["class"] == "unmask"
        _ = loop.stack(loop.state.acc)


def test_time_major_outside_tensor_is_read_batch_major_in_a_loop() -> None:
    """A tensor from outside a loop with its batch dim not first is read through one
    batch-major ``transpose`` layer (RETURNN's order under beam search, made explicit)."""
    time, f = nn.SpatialDim("time"), nn.FeatureDim("f", 2)
    time_major = nn.zeros([time, nn.batch_dim, f])
    batch_major = nn.zeros([nn.batch_dim, time, f])
    no_batch = nn.zeros([time, f])
    outside = nn.tanh(time_major)
    assert outside.dims == (time, nn.batch_dim, f)  # outside loops: order kept
    with nn.Loop(axis=time) as loop:
        a = time_major + loop.unstack(batch_major)
        b = nn.sigmoid(time_major)
        with nn.Cond(nn.reduce_sum(a, axis=[nn.batch_dim, time, f]) > 0) as cond:
            cond.true = nn.exp(time_major)
            cond.false = nn.neg(time_major)
        c = batch_major + no_batch
    assert a.dims[0] == b.dims[0] == cond.result.dims[0] == nn.batch_dim
    assert c.dims == (nn.batch_dim, time, f)
    views = [v for v in _inputs(a) + _inputs(b) if v.layer_dict.get("class") == "transpose"]
    assert len(views) == 2 and views[0] is views[1]  # one view, made once
    view = views[0]
    assert view.layer_dict["from"] is time_major
    assert view.dims == (nn.batch_dim, time, f)
    assert nn.sigmoid(time_major).dims == (time, nn.batch_dim, f)  # after the loop: kept


def _inputs(t: nn.Tensor) -> list[nn.Tensor]:
    src = t.layer_dict["from"]
    return list(src) if isinstance(src, list) else [src]


def test_masked_computation_refuses_a_state_with_a_dynamic_dim() -> None:
    """RETURNN's unmask inside a loop drops a dynamic dim of the block's output (fuzz-found)."""
    outer, other = nn.SpatialDim("outer"), nn.SpatialDim("other")
    x = nn.zeros([nn.batch_dim, outer, other, FEAT])

    def run(masked_dynamic: bool) -> nn.Tensor:
        loop = nn.Loop(axis=outer)
        loop.state.h = nn.zeros([nn.batch_dim, other, FEAT])
        loop.state.ok = nn.zeros([nn.batch_dim, FEAT])
        with loop:
            x_t = loop.unstack(x)
            mask = nn.reduce_sum(x_t, axis=[other, FEAT]) > 0.0
            with nn.MaskedComputation(mask=mask):
                if masked_dynamic:
                    loop.state.h = loop.state.h + x_t
                loop.state.ok = loop.state.ok + nn.reduce_sum(x_t, axis=other)  # static: fine
            if not masked_dynamic:  # the suggested replacement
                loop.state.h = nn.where(mask, loop.state.h + x_t, loop.state.h)
            return loop.stack(loop.state.h + loop.state.ok)

    with pytest.raises(nn.ControlFlowError, match=r"loop state 'h' .* dynamic dim other"):
        run(masked_dynamic=True)
    assert run(masked_dynamic=False).dims_set() == {outer, nn.batch_dim, other, FEAT}
