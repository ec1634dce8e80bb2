"""Rendering planned clips: speak a :class:`~harken.datasets.synth_plan.ClipPlan`, trim, resample, place, level.

In: clip plans, the dataset's sample rate and clip length. Out: int16 clips (and what was
measured of each), or for :func:`render_chunk` the wav files of one chunk plus its record of
being done. It runs inside the chunk processes of ``harken.datasets.synth``; it does not plan or
augment.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harken._util.atomic import write_text_atomic
from harken.datasets.synth_plan import ClipPlan


def render_clip(plan: ClipPlan, *, sample_rate_hz: int, clip_ms: int) -> tuple[np.ndarray, dict]:
    """Speak ``plan``, trim its silences, resample, place it in the clip and set its peak level.

    Returns the int16 clip and what was measured (``offset_ms``, ``speech_ms``, ``cropped``).
    Speech longer than the clip keeps its end (the keyword of a phrase such as "turn on").
    """
    from harken.audio.tts.engines import synthesize

    raw, raw_rate = synthesize(plan.text, plan.voice, rate_wpm=plan.rate_wpm, pitch=plan.pitch,
                               pitch_range=plan.pitch_range, rand_seed=plan.rand_seed)  # fmt: skip
    return place_speech(raw.astype(np.float32) / 32768.0, raw_rate, sample_rate_hz=sample_rate_hz, clip_ms=clip_ms,
                        placement=plan.placement, peak_dbfs=plan.peak_dbfs)  # fmt: skip


def place_speech(
    x: np.ndarray, raw_rate: int, *, sample_rate_hz: int, clip_ms: int, placement: float, peak_dbfs: float
) -> tuple[np.ndarray, dict]:
    """Trim float speech ``x`` of its silences, resample, place it in the clip and set its peak.

    ``placement`` 0..1 puts it at the start..end; speech longer than the clip keeps its end.
    Returns the int16 clip and what was measured (``offset_ms``, ``speech_ms``, ``cropped``).
    """
    from harken.audio.io import resample, to_int16

    loud = np.nonzero(np.abs(x) > max(0.02 * float(np.max(np.abs(x), initial=0.0)), 1e-4))[0]
    if loud.size:
        margin = int(0.005 * raw_rate)
        x = x[max(loud[0] - margin, 0) : loud[-1] + margin + 1]
    x = resample(x, raw_rate, sample_rate_hz)
    clip_len = int(round(sample_rate_hz * clip_ms / 1000))
    cropped = x.size > clip_len
    if cropped:
        x = x[-clip_len:]
    offset = int(round(placement * (clip_len - x.size)))
    clip = np.zeros(clip_len, np.float32)
    clip[offset : offset + x.size] = x
    peak = float(np.max(np.abs(clip)))
    if peak > 0:
        clip *= (10.0 ** (peak_dbfs / 20.0)) / peak
    info = {"offset_ms": round(1000.0 * offset / sample_rate_hz, 1),
            "speech_ms": round(1000.0 * x.size / sample_rate_hz, 1), "cropped": cropped}  # fmt: skip
    return to_int16(clip), info


def manifest_row(plan: ClipPlan, info: dict) -> dict:
    """One clip's manifest row: its plan and what was measured when rendering it."""
    return {"index": plan.index, "file": plan.file, "label": plan.label, "speaker": plan.file.split("/")[1].split("_nohash_")[0],
            "kind": plan.kind, "text": plan.text, "engine": plan.voice.engine, "voice": plan.voice.label,
            "rate_wpm": plan.rate_wpm, "pitch": plan.pitch, "pitch_range": plan.pitch_range,
            "peak_dbfs": plan.peak_dbfs, **info}  # fmt: skip


def render_chunk(task: tuple[str, int, list[ClipPlan], int, int]) -> list[dict]:
    """Render one chunk into the partial folder, record it as done (for a resume) and return its manifest rows."""
    from harken.audio.io import write_wav

    folder, chunk, plans, sample_rate_hz, clip_ms = task
    rows = []
    for plan in plans:
        clip, info = render_clip(plan, sample_rate_hz=sample_rate_hz, clip_ms=clip_ms)
        write_wav(Path(folder) / plan.file, clip, sample_rate_hz)
        rows.append(manifest_row(plan, info))
    write_text_atomic(Path(folder) / ".chunks" / f"{chunk:05d}.json", json.dumps(rows))
    return rows
