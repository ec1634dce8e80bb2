"""Batch mode: many clips in, one spectrogram per clip out, the state reset for each clip.

This is what training uses. Each clip is processed as the device would process it from power-on:
DC notch memory and noise estimates start at zero. A clip of L samples gives (L - W) // S + 1
frames (W, S: window size and step in samples); clips need not be ``fe.sample_length_ms`` long.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np

from harken.audio.io import check_audio, to_int16
from harken.errors import AudioError
from harken.frontend import kernels
from harken.frontend.output_scaling import convert_output
from harken.frontend.settings import FrontendSettings, num_frames
from harken.frontend.tables import Plan, build_plan


@lru_cache(maxsize=32)
def _cached_plan(key: tuple) -> Plan:
    return build_plan(FrontendSettings.from_dict(dict(key)))


def plan_for(settings: FrontendSettings) -> Plan:
    """The tables of ``settings`` (built once per distinct settings and cached)."""
    settings.validate()
    return _cached_plan(tuple(sorted(settings.to_dict(prefix=False).items())))


def _as_int16_batch(clips: np.ndarray | list) -> np.ndarray:
    """[n, L] int16 from an int16/float array or a list of equal-length 1-D clips."""
    if isinstance(clips, (list, tuple)):
        if not clips:
            raise AudioError("clips: the batch is empty")
        lengths = {len(c) for c in clips}
        if len(lengths) != 1:
            raise AudioError(f"clips: a batch needs clips of one length, got lengths {sorted(lengths)[:5]}")
        clips = np.stack([to_int16(check_audio(np.asarray(c), name=f"clips[{i}]")) for i, c in enumerate(clips)])
    clips = np.asarray(clips)
    if clips.ndim != 2:
        raise AudioError(f"clips: expected a [clips, samples] array, got shape {clips.shape}")
    if clips.shape[0] == 0 or clips.shape[1] == 0:
        raise AudioError(f"clips: the batch is empty (shape {clips.shape})")
    if clips.dtype != np.int16:
        if not np.issubdtype(clips.dtype, np.floating):
            raise AudioError(f"clips: expected int16 or float samples, got {clips.dtype}")
        if not np.all(np.isfinite(clips)):
            raise AudioError("clips: NaN or infinite samples")
        clips = to_int16(clips)
    return np.ascontiguousarray(clips)


def compute_raw_spectrograms(clips: np.ndarray | list, settings: FrontendSettings) -> np.ndarray:
    """uint16 [n, frames, channels] of a batch of clips (int16, or float in [-1, 1) scaled by 2^15)."""
    plan = plan_for(settings)
    batch = _as_int16_batch(clips)
    frames = num_frames(batch.shape[1], settings.window_size, settings.window_step)
    if frames == 0:
        warnings.warn(
            f"clips of {batch.shape[1]} samples are shorter than one window ({settings.window_size}); "
            "the spectrograms have no frames",
            stacklevel=2,
        )
    out = np.zeros((batch.shape[0], frames, settings.filterbank_n_channels), dtype=np.uint16)
    kernels.process_clips(batch, frames, plan, out)
    return out


def compute_spectrograms(
    clips: np.ndarray | list, settings: FrontendSettings, *, dtype: str = "int8"
) -> np.ndarray:
    """Spectrograms of a batch of clips, each from a fresh front-end state.

    Parameters
    ----------
    clips : np.ndarray [shape=(n, samples) or (samples,)], int16 or float in [-1, 1)
        Float samples are scaled by 2^15, rounded and clipped to int16 first.
    settings : FrontendSettings
    dtype : {"int8", "uint16"}
        "uint16" is the raw front-end output; "int8" applies the settings' mapping (dynamic scaling
        over each clip's whole spectrogram when ``quantize_dynamic_scale_enable``, else static).

    Returns
    -------
    np.ndarray [shape=(n, frames, channels) or (frames, channels)]

    Examples
    --------
    >>> fe = FrontendSettings()
    >>> compute_spectrograms(np.zeros(16000, np.int16), fe).shape
    (98, 104)
    """
    single = isinstance(clips, np.ndarray) and clips.ndim == 1
    if single:
        clips = check_audio(clips, name="clip")[None, :]
    raw = compute_raw_spectrograms(clips, settings)
    out = convert_output(raw, settings, dtype)
    return out[0] if single else out
