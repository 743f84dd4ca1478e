"""ASR helpers of the predecessor (``returnn_common.asr``), rebuilt on rc-nn.

``rc_nn.asr.specaugment``: SpecAugment (``specaugment_v2``, ``random_mask_v2``).
"""

from . import specaugment

__all__ = ["specaugment"]
