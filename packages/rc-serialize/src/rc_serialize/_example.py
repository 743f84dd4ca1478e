"""The old private path of :mod:`rc_serialize.example`, kept so existing imports keep working.

New code imports ``rc_serialize.example``; the command line names only the public path.
"""

from .example import AsrEncoder, FeedForwardBlock, build_example

__all__ = ["AsrEncoder", "FeedForwardBlock", "build_example"]
