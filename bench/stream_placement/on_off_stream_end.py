"""Stream placement, experiment A: the quickstart (on_off_offline) with stream placement, words ending near the window's end.

Everything as the built-in ``on_off_offline`` except ``Placement(end_scale_ms=150)``: the gap from
the word's end to the window's end is exponential with a 150 ms mean (truncated to where the word
fits) instead of uniform, so the model learns to score a word as it ends, as the device's stream
shows it. See docs/experiments.md, "Placement as a stream shows it".

    HARKEN_HOME=... harken train bench/stream_placement/on_off_stream_end.py
"""

import copy

from harken.augment import Placement
from harken.spec.builtin.on_off_offline import spec as _quickstart

#: Mean gap (ms) between the word's end and the window's end.
END_SCALE_MS = 150.0


def stream_variant(end_scale_ms: float, p_tail: float = 0.0, p_cropped: float | None = None):
    """The quickstart spec with its Placement ending words near the window's end (and tail crops, if asked)."""
    out = copy.deepcopy(_quickstart)
    out.name = ""
    aug = out.augmentation
    aug.transforms = [Placement(p=t.p, end_scale_ms=end_scale_ms) if isinstance(t, Placement) else t
                      for t in aug.transforms]  # fmt: skip
    if p_tail:
        aug.cropped_known.p_tail = p_tail
    if p_cropped is not None:
        aug.cropped_known.p = p_cropped
    aug.validate()
    out.description = f"{_quickstart.description}; stream placement (end_scale_ms={end_scale_ms}, p_tail={p_tail})"
    return out


spec = stream_variant(END_SCALE_MS)
