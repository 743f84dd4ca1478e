"""``python -m rc_serialize``: the same as the ``rc-serialize`` command."""

import sys

from ._cli import main

sys.exit(main())
