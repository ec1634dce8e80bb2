"""Output conversion of the front end: raw uint16 spectrograms to the int8 the model takes.

Two mappings, as on the device:
- dynamic (``fe.quantize_dynamic_scale_enable``): the window's maximum maps to +127 and everything
  ``range_db`` below it (or lower) to -128, so the model sees the same contrast at any loudness;
- static (TFLM micro_speech): a fixed map of 0..666 onto -128..127.
Both are plain integer formulas; the dynamic one is computed over the spectrogram *window* given
(the model's input), never over padding around it.
"""

from __future__ import annotations

import numpy as np

from harken.errors import SettingsError
from harken.frontend import kernels
from harken.frontend.settings import FrontendSettings

OUTPUT_DTYPES = ("int8", "uint16")


def quantize_dynamic(spectrogram: np.ndarray, dynamic_range: int) -> np.ndarray:
    """int8 of each [frames, channels] window scaled to its own maximum.

    Parameters
    ----------
    spectrogram : np.ndarray [shape=(..., frames, channels), uint16]
    dynamic_range : int > 0
        R = int(range_db * 2^log_scale_shift * ln(10)/20) (``FrontendSettings.dynamic_range``).
    """
    v = np.asarray(spectrogram, dtype=np.uint16)
    if v.ndim < 2:
        raise ValueError(f"expected [..., frames, channels], got shape {v.shape}")
    flat = np.ascontiguousarray(v.reshape((-1,) + v.shape[-2:]))
    out = np.empty(flat.shape, dtype=np.int8)
    kernels.quantize_dynamic_inplace(flat, int(dynamic_range), out)
    return out.reshape(v.shape)


def quantize_static(spectrogram: np.ndarray) -> np.ndarray:
    """int8 by the fixed micro_speech map: (v * 256 + 333) // 666 - 128, clipped."""
    v = np.asarray(spectrogram).astype(np.int64)
    return np.clip((v * 256 + 333) // 666 - 128, -128, 127).astype(np.int8)


def convert_output(spectrogram: np.ndarray, settings: FrontendSettings, dtype: str) -> np.ndarray:
    """Raw uint16 -> the requested output: "uint16" unchanged, "int8" by the settings' mapping."""
    if dtype == "uint16":
        return np.asarray(spectrogram, dtype=np.uint16)
    if dtype == "int8":
        if settings.quantize_dynamic_scale_enable:
            return quantize_dynamic(spectrogram, settings.dynamic_range)
        return quantize_static(spectrogram)
    raise SettingsError(f"dtype={dtype!r} is not an output type; use one of {', '.join(OUTPUT_DTYPES)}")
