"""Select pass: which marks and inputs of a build record belong to the model.

A root (the default one in particular) can hold several models built one after the
other, or by several threads. The record holds all of the root's marks and inputs;
this pass keeps the ones of the record's root module and explains an empty result
(nothing marked, the model never called).
"""

from __future__ import annotations

import dataclasses

import rc_nn

from ._errors import MarkInsideBlockError, NoOutputError
from ._reach import reach

__all__ = ["Selection", "never_called_note", "select_extern", "select_marks"]


@dataclasses.dataclass(frozen=True)
class Selection:
    """The marks of the model, and the layers only other models' marks use.

    Examples
    --------
    >>> Selection((), frozenset()).marks
    ()
    """

    marks: tuple[rc_nn.MarkRecord, ...]
    foreign_used: frozenset[int]


def select_marks(record: rc_nn.BuildRecord) -> Selection:
    """The marks that belong to the record's root module (raises when there are none).

    A mark belongs to the model if what it depends on contains a call of the root
    module or of a module reachable from it, or one of its parameters. A mark that does
    not, but depends on parameters that are not reachable from the root module, belongs
    to another model and is left out (with the inputs only such marks use). Other marks
    (plain functions of the inputs, calls of modules without parameters such as an
    unattached ``nn.Random``) are kept: without parameters there is nothing to tell
    models apart by, and nothing to name. Of the kept default outputs, the last one
    marked wins. A kept mark inside a control-flow block is refused.
    """
    if not record.marks:
        raise NoOutputError(_nothing_marked_message(record))
    verdicts = _Verdicts(record)
    kept: list[rc_nn.MarkRecord] = []
    foreign: list[rc_nn.MarkRecord] = []
    for mark in record.marks:
        (foreign if verdicts.of_mark(mark) is False else kept).append(mark)
    defaults = [m for m in kept if m.name is None and m.loss_scale is None]
    if defaults:
        kept = [
            m for m in kept if not (m.name is None and m.loss_scale is None) or m is defaults[-1]
        ]
    if not kept:
        raise NoOutputError(_all_foreign_message(record, foreign))
    for mark in kept:
        _check_not_in_block(record, mark)
    foreign_used = reach(record.layers, [m.layer for m in foreign]) if foreign else {}
    return Selection(tuple(kept), frozenset(foreign_used))


class _Verdicts:
    """Whether a mark depends on this model (True), only on other models (False), or neither."""

    def __init__(self, record: rc_nn.BuildRecord) -> None:
        self.record = record
        self.in_model = {p.layer: p.in_model for p in record.params}
        self.of_call: dict[int, bool | None] = {}

    def of_scope(self, call: int | None) -> bool | None:
        # True: inside a call of this model; False: inside other modules' calls only;
        # None: inside no module call.
        calls = self.record.calls
        chain = []
        result: bool | None = None
        while call is not None:
            if call in self.of_call:
                result = self.of_call[call]
                break
            chain.append(call)
            call = calls[call].parent
        for scope in reversed(chain):
            info = calls[scope]
            if info.kind == "module" and info.module is not None:
                mine = info.module_path is not None
                if mine or result is None:
                    result = mine
            self.of_call[scope] = result
        return result

    def of_mark(self, mark: rc_nn.MarkRecord) -> bool | None:
        mine: bool | None = None
        for layer in reach(self.record.layers, [mark.layer]):
            if layer in self.in_model:
                if self.in_model[layer]:
                    return True
                mine = False  # a parameter of another model (unless one of ours turns up)
            elif self.of_scope(self.record.layers[layer].call):
                return True
        return mine


def _check_not_in_block(record: rc_nn.BuildRecord, mark: rc_nn.MarkRecord) -> None:
    layer = record.layers[mark.layer]
    if layer.block is None:
        return
    raise MarkInsideBlockError(
        f"{layer.text} (created at {layer.created_at}) is marked as output or loss at "
        f"{mark.created_at}, but it belongs to {record.blocks[layer.block].description}; "
        "mark a tensor outside the block, e.g. loop.stack(x) or cond.result"
    )


def _all_foreign_message(record: rc_nn.BuildRecord, foreign: list[rc_nn.MarkRecord]) -> str:
    where = ", ".join(
        f"{record.layers[m.layer].text} marked at {m.created_at}" for m in foreign[:3]
    )
    never = never_called_note(record)
    return (
        f"nothing to serialize for {record.root.module_type}: "
        + (f"{never} " if never else "")
        + f"Every marked output and loss in naming root {record.root.naming_root!r} depends on "
        f"parameters of other modules ({where}), none on a call or parameter of this model "
        "or of the modules reachable from it by attributes. Call the model and mark its "
        "result; if the called modules belong to this model, assign them as its attributes "
        "(nn.ModuleList/nn.ModuleDict, not plain lists or dicts); to build several models "
        "in one process, build each under its own `with nn.Root(): ...` (or call "
        "nn.reset_default_root() before the next one)."
    )


def _own_calls(record: rc_nn.BuildRecord) -> list[rc_nn.CallRecord]:
    """The calls of the root module and of its submodules, in call order."""
    return [c for c in record.calls if c.kind == "module" and c.in_root_modules]


def _module_label(module_type: str | None, created_at: str | None) -> str:
    return f"{module_type} (created at {created_at or '<unknown>'})"


def _root_label(record: rc_nn.BuildRecord) -> str:
    return _module_label(record.root.module_type, record.root.created_at)


def _nothing_marked_message(record: rc_nn.BuildRecord) -> str:
    """NoOutputError's message: says whether the model was called at all (issue 13 §6)."""
    name = record.root.module_type
    mark_hint = "y.mark_as_default_output() (or y.mark_as_loss('name'))"
    calls = _own_calls(record)
    if not calls:
        return (
            f"nothing to serialize for {name}: the model {_root_label(record)} "
            "was never called (neither it nor any of its submodules), and no output or loss "
            f"is marked. Call it on its inputs and mark a result before serializing: "
            f"y = model(x); {mark_hint}. (A factory for the rc-serialize command line builds "
            "the model, calls it, marks the outputs, then returns it.)"
        )
    first = calls[0]
    who = "the model" if first.module_path == () else f"its {first.module_type}"
    return (
        f"nothing to serialize for {name}: no output or loss is marked ({who} was called "
        f"at {first.created_at}). Call {mark_hint} on a result of the model."
    )


def _outermost_module_calls(record: rc_nn.BuildRecord) -> list[rc_nn.CallRecord]:
    out = []
    for call in record.calls:
        if call.kind != "module":
            continue
        parent = call.parent
        while parent is not None and record.calls[parent].kind != "module":
            parent = record.calls[parent].parent
        if parent is None:
            out.append(call)
    return out


def never_called_note(record: rc_nn.BuildRecord) -> str:
    """For a root module never called although outputs are marked: which modules were."""
    if _own_calls(record):
        return ""
    called: dict[int | None, rc_nn.CallRecord] = {}
    for call in _outermost_module_calls(record):
        called.setdefault(call.module, call)
    shown = [_module_label(c.module_type, c.module_created_at) for c in list(called.values())[:3]]
    more = f" and {len(called) - 3} more" if len(called) > 3 else ""
    came_from = (
        f"the marked outputs come from calls of {', '.join(shown)}{more}"
        if shown
        else "the marked outputs were made without any module call"
    )
    return (
        f"the root module {_root_label(record)} was never called "
        f"(neither it nor any of its submodules); {came_from}. Serialize the module you "
        "called (get_returnn_config_serialized(that_module)), or call this one."
    )


def select_extern(
    record: rc_nn.BuildRecord, used: dict[int, None], foreign_used: frozenset[int]
) -> tuple[rc_nn.ExternRecord, ...]:
    """The inputs of the model: the ones its outputs use, and the ones no other model's
    outputs use (declared but unused inputs stay, as RETURNN's datasets may provide them)
    unless another thread declared them: that thread may not have marked its outputs yet,
    and its input must not enter this config by the timing of the threads.
    """
    return tuple(
        e
        for e in record.extern
        if e.layer in used or (e.layer not in foreign_used and e.declared_here)
    )
