"""The error of the RETURNN check: what failed, RETURNN's message, a hint where one is known."""

from __future__ import annotations

import pprint
import traceback
from typing import Any

from ._errors import RcSerializeError

__all__ = ["MAX_NET_DICT_CHARS", "ReturnnCheckError", "check_error"]

#: Net dicts printed in error messages are cut after this many characters.
MAX_NET_DICT_CHARS = 20_000


class ReturnnCheckError(RcSerializeError, RuntimeError):
    """RETURNN rejected or failed on a config.

    The message holds the stage that failed, the (pretty-printed, maybe truncated) net
    dict of the config and the RETURNN error with its traceback; ``summary`` is one
    paragraph: the stage, RETURNN's own message and a hint where one is known.

    Examples
    --------
    >>> ReturnnCheckError("long text", summary="short").summary
    'short'
    """

    def __init__(self, message: str, *, summary: str | None = None) -> None:
        super().__init__(message)
        self.summary = message if summary is None else summary


def _format_net_dict(net_dict: Any) -> str:
    text = pprint.pformat(net_dict, width=100, sort_dicts=False)
    if len(text) > MAX_NET_DICT_CHARS:
        cut = len(text) - MAX_NET_DICT_CHARS
        text = text[:MAX_NET_DICT_CHARS] + f"\n... ({cut} more characters cut)"
    return text


#: Known RETURNN/TF failures whose message does not say what in the model causes them:
#: (a substring of the error, the explanation added to the ReturnnCheckError).
_HINTS = (
    (
        "TensorArray has size zero",
        "Hint: a generating loop (nn.Loop(max_seq_len=...) with loop.end(...)) ran zero frames "
        "for every sequence of the batch: loop.end(..., include_eos=False) with the end condition "
        "true in the first frame. RETURNN's TF backend stacks a loop's frames from a TensorArray, "
        "which TF cannot read with zero frames unless the frame shape is static (the batch dim "
        "never is), so a loop whose frames are stacked (loop.stack, or its state) must produce at "
        "least one frame in some sequence. Use include_eos=True (the end frame is kept) or an end "
        "condition that is false in the first frame.",
    ),
)


def check_error(stage: str, net_dict: Any, exc: BaseException) -> ReturnnCheckError:
    tb = "".join(traceback.format_exception(exc))
    hints = [hint for marker, hint in _HINTS if marker in str(exc)]
    summary_lines = [
        f"RETURNN check failed while {stage}: {type(exc).__name__}: {_last_lines(str(exc))}",
        *[line for hint in hints for line in ("", hint)],
    ]
    lines = [
        f"RETURNN check failed while {stage}: {type(exc).__name__}: {exc}",
        *[line for hint in hints for line in ("", hint)],
        "",
        "net dict:",
        _format_net_dict(net_dict),
        "",
        "RETURNN error:",
        tb,
    ]
    return ReturnnCheckError("\n".join(lines), summary="\n".join(summary_lines))


def _last_lines(message: str, *, keep: int = 6) -> str:
    """RETURNN's messages can be pages long (whole templates): keep their last lines."""
    lines = message.strip().splitlines()
    return "\n".join(lines if len(lines) <= keep else ["...", *lines[-keep:]])
