"""The background of a long test stream: generated noise or real recordings, pieced together with crossfades.

In: a length in samples, a level (dBFS RMS), a seed, and optionally recordings (float32 clips).
Out: float32 background audio of that length (and, from :func:`make_background_pieces`, where each
piece takes over and its level, so words can be scaled against the level they sit in). Without recordings the pieces are harken's generated
noises (``harken.datasets.noise``: pink, brown, white, a microphone's floor), one kind per piece of
``piece_s`` seconds; with recordings each piece is a cut of a recording, or recordings shorter than a piece joined
(each at one RMS, 50 ms crossfades) until it is filled, so a piece is one level however short the files.
Each piece is scaled to the level +- ``jitter_db`` (or, given ``max_rms_db``, to a level drawn
uniformly in [``rms_db``, ``max_rms_db``]: the same draw, centred in the range with half its width as
jitter) and joined with equal-power crossfades, so the
level never dips. Piece i is drawn from ``default_rng([seed, i])``: the same seed gives the same
samples. Words are inserted by ``harken.streaming.make_stream``, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harken.datasets.noise import make_noise, set_rms_dbfs
from harken.errors import SettingsError

#: Generated kinds a piece of background is made of (stationary noises; hum alone sounds like no room).
GENERATED_KINDS = ("pink", "brown", "white", "mic")
#: Crossfade (s) between recordings joined to fill one piece.
JOIN_S = 0.05

__all__ = ["GENERATED_KINDS", "Background", "make_background", "make_background_pieces"]


@dataclass(slots=True)
class Background:
    """A background and its pieces: piece i rules from ``starts[i]`` (the middle of its crossfade in) on."""

    audio: np.ndarray  # float32
    starts: np.ndarray  # int64 samples, ascending, starts[0] == 0
    levels_db: np.ndarray  # float64 dBFS RMS each piece was scaled to


def _generated_piece(length: int, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    kind = GENERATED_KINDS[int(rng.integers(len(GENERATED_KINDS)))]
    return make_noise(kind, length, sample_rate_hz=sample_rate_hz, rms_db=-20.0, rng=rng)


def _recorded_piece(recordings: Sequence[np.ndarray], length: int, rng: np.random.Generator,
                    join: int) -> np.ndarray:
    """A cut of ``length`` samples of one recording, or recordings shorter than that joined until it is filled.

    Joined recordings are brought to one RMS each and crossfaded over ``join`` samples, so a piece made
    of short cuts (1 s noise clips) holds one level for the whole piece, like one long recording.
    """
    clip = np.asarray(recordings[int(rng.integers(len(recordings)))], np.float32)
    if clip.size >= length:
        start = int(rng.integers(clip.size - length + 1))
        return clip[start : start + length]
    out = np.zeros(0, np.float64)
    while out.size < length:
        part = np.asarray(clip, np.float64)
        rms = float(np.sqrt(np.mean(part**2)))
        part = part / rms if rms > 0.0 else part
        overlap = min(join, out.size // 2, part.size // 2)
        if overlap:
            t = np.linspace(0.0, 1.0, overlap, endpoint=False)
            out[-overlap:] *= np.sqrt(1.0 - t)
            part[:overlap] *= np.sqrt(t)
            out[-overlap:] += part[:overlap]
            part = part[overlap:]
        out = np.concatenate([out, part])
        clip = np.asarray(recordings[int(rng.integers(len(recordings)))], np.float32)
    return out[:length].astype(np.float32)


def make_background(
    num_samples: int,
    *,
    sample_rate_hz: int = 16000,
    rms_db: float = -45.0,
    seed: int = 0,
    recordings: Sequence[np.ndarray] | None = None,
    piece_s: float = 30.0,
    fade_s: float = 0.5,
    jitter_db: float = 3.0,
    max_rms_db: float | None = None,
) -> np.ndarray:
    """``num_samples`` of background at about ``rms_db`` dBFS (float32); see :func:`make_background_pieces`.

    Examples
    --------
    >>> from harken.datasets.noise import rms_dbfs
    >>> x = make_background(32000, rms_db=-40.0, seed=1, piece_s=0.5, fade_s=0.1, jitter_db=0.0)
    >>> x.shape, bool(abs(rms_dbfs(x) + 40.0) < 1.0)
    ((32000,), True)
    """
    return make_background_pieces(num_samples, sample_rate_hz=sample_rate_hz, rms_db=rms_db, seed=seed,
                                  recordings=recordings, piece_s=piece_s, fade_s=fade_s, jitter_db=jitter_db,
                                  max_rms_db=max_rms_db).audio  # fmt: skip


def make_background_pieces(
    num_samples: int,
    *,
    sample_rate_hz: int = 16000,
    rms_db: float = -45.0,
    seed: int = 0,
    recordings: Sequence[np.ndarray] | None = None,
    piece_s: float = 30.0,
    fade_s: float = 0.5,
    jitter_db: float = 3.0,
    max_rms_db: float | None = None,
) -> Background:
    """The background and each piece's start and level: ``rms_db`` +- ``jitter_db``, or in [rms_db, max_rms_db].

    Examples
    --------
    >>> b = make_background_pieces(32000, rms_db=-50.0, max_rms_db=-30.0, seed=1, piece_s=0.5, fade_s=0.1)
    >>> b.starts.tolist(), bool(all(-50.0 <= v <= -30.0 for v in b.levels_db))
    ([0, 7200, 13600, 20000, 26400], True)
    """
    if int(num_samples) <= 0:
        raise SettingsError(f"num_samples={num_samples}: a background needs at least one sample")
    if recordings is not None and not any(np.asarray(r).size for r in recordings):
        raise SettingsError("no background recordings with samples; give a folder of noise files")
    if max_rms_db is not None:
        if max_rms_db < rms_db:
            raise SettingsError(f"max_rms_db={max_rms_db} < rms_db={rms_db}: give the range low,high")
        rms_db, jitter_db = (rms_db + max_rms_db) / 2.0, (max_rms_db - rms_db) / 2.0
    piece = max(int(piece_s * sample_rate_hz), 1)
    fade = min(int(fade_s * sample_rate_hz), piece // 2)
    join = int(JOIN_S * sample_rate_hz)
    out = np.zeros(num_samples, np.float64)
    starts, levels = [], []
    end, previous_size, index = 0, 0, 0
    while end < num_samples:
        rng = np.random.default_rng([seed, index])
        if recordings:
            audio = _recorded_piece([r for r in recordings if np.asarray(r).size], piece, rng, join)
        else:
            audio = _generated_piece(piece, rng, sample_rate_hz)
        level = rms_db + float(rng.uniform(-jitter_db, jitter_db))
        audio = set_rms_dbfs(audio, level).astype(np.float64)
        overlap = min(fade, previous_size // 2, audio.size // 2)
        start = end - overlap
        if overlap:  # equal power: the uncorrelated pieces' powers add to one across the fade
            t = np.linspace(0.0, 1.0, overlap, endpoint=False)
            out[start:end] *= np.sqrt(1.0 - t)
            audio[:overlap] *= np.sqrt(t)
        length = min(audio.size, num_samples - start)
        out[start : start + length] += audio[:length]
        starts.append(start + overlap // 2)
        levels.append(level)
        end, previous_size, index = start + audio.size, audio.size, index + 1
    return Background(out.astype(np.float32), np.asarray(starts, np.int64), np.asarray(levels, np.float64))
