"""RETURNN's process-wide state around a check: native ops, the log, the behavior version.

TensorFlow and ``returnn.tf`` are imported only inside the functions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["behavior_version_of", "ensure_native_op_cpu_only", "quiet_returnn_log"]


def ensure_native_op_cpu_only() -> None:
    """Make RETURNN compile native ops (e.g. the native LSTM) without CUDA on a CPU build of TF.

    The machine may have a CUDA toolkit while TF is a CPU build; RETURNN would then try to
    compile with CUDA headers and fail. The compiled op is cached by RETURNN under
    ``returnn.util.basic.get_cache_dir()`` (``$RETURNN_CACHE_DIR`` or ``$TMPDIR/$USER``,
    ``/var/tmp/$USER`` by default), in ``returnn_tf_cache/ops/``.
    """
    import returnn.tf.util.basic as tf_util  # noqa: PLC0415 - TensorFlow only when asked
    from returnn.tf import native_op  # noqa: PLC0415 - same

    if not tf_util.is_tf_cuda_build():
        native_op.OpMaker.with_cuda = False


def quiet_returnn_log() -> None:
    """Route RETURNN's log to errors only, unless someone initialized it already.

    An uninitialized RETURNN log prints every layer template and rec-layer summary to
    stdout; the harness reports failures through exceptions instead.
    """
    from returnn.log import log  # noqa: PLC0415 - RETURNN only when a check runs

    if log.v is None:
        log.initialize(verbosity=[0])


@contextmanager
def behavior_version_of(config: Any) -> Iterator[None]:
    """Apply the config's ``behavior_version`` to RETURNN's global state for this block only.

    RETURNN keeps the behavior version in a process-wide class attribute that may be set
    only once; checking many configs in one process needs it reset around each.
    """
    from returnn.util.basic import BehaviorVersion  # noqa: PLC0415 - RETURNN only for a check

    saved = (BehaviorVersion._behavior_version, BehaviorVersion._min_behavior_version)
    BehaviorVersion._behavior_version = None
    BehaviorVersion._min_behavior_version = 0
    try:
        version = config.int("behavior_version", None)
        if version is not None:
            BehaviorVersion.set(version)
        yield
    finally:
        BehaviorVersion._behavior_version, BehaviorVersion._min_behavior_version = saved
