"""The model window as the device sees it: the last frames of a stream, scaled over those frames.

Training buffers carry a warm-up before the model window (so noise reduction has settled, as on a
device that has been listening); these helpers turn such a buffer into exactly the int8 window the
streaming front end holds when the buffer's last sample arrives.
"""

from __future__ import annotations

import math

import numpy as np

from harken.frontend.batch import compute_raw_spectrograms
from harken.frontend.output_scaling import convert_output
from harken.frontend.settings import FrontendSettings


def window_spectrogram(buffer: np.ndarray, frontend: FrontendSettings, *, dtype: str = "int8") -> np.ndarray:
    """Spectrograms of the last model window of each buffer, as the streaming device has them.

    The front end runs over the whole buffer from a fresh state (so noise reduction has warmed up
    over the leading audio); the last ``frontend.num_frames`` frames are kept and, for int8, scaled
    over those frames only.

    Parameters
    ----------
    buffer : np.ndarray [shape=(n, samples) or (samples,)], int16 or float in [-1, 1)
        ``samples - window_size`` should be a multiple of the window step so that the last frame
        ends exactly at the last sample.
    """
    raw = compute_raw_spectrograms(buffer if buffer.ndim == 2 else buffer[None, :], frontend)
    kept = raw[:, -frontend.num_frames:]
    out = convert_output(kept, frontend, dtype)
    return out if buffer.ndim == 2 else out[0]


def warmup_samples(frontend: FrontendSettings, warmup_ms: int) -> int:
    """Warm-up length in samples, rounded up to whole window steps (so frames align with the end)."""
    wanted = frontend.sample_rate_hz * warmup_ms // 1000
    step = frontend.window_step
    return int(math.ceil(wanted / step) * step)
