"""Stream placement, experiment B: experiment A plus partial words at both window edges as ``_unknown_``.

As ``on_off_stream_end.py`` (``Placement(end_scale_ms=150)``), and the cropped-known negatives
doubled from 5 % to 10 % of the keyword samples, half of them the word's last 20-50 % at the
window's start (``CroppedKnown(p_tail=0.5)``): a word leaving the window, when the device should
already have fired, is not a keyword any more.

    HARKEN_HOME=... harken train bench/stream_placement/on_off_stream_edges.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from on_off_stream_end import END_SCALE_MS, stream_variant  # noqa: E402

spec = stream_variant(END_SCALE_MS, p_tail=0.5, p_cropped=0.10)
