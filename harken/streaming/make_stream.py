"""Make a long labelled test stream: words from a folder dataset inserted into a background.

In: a folder of class folders (``on/``, ``off/``, ``_unknown_/``, ``_silence_/``, or one folder per word),
:class:`StreamSettings` and optionally background recordings. Out: the stream (a 16-bit wav), its labels
CSV (``start_s,end_s,label,word,source,snr_db,reverb``: each word's real extent, found from the clip's
energy, not the 1 s clip) and a JSON of the recipe and counts beside them.

Keyword folders are labelled with their name; other words are labelled ``_unknown_`` (their word, the
file-name prefix in ``_unknown_/`` or the folder's name, goes in ``word``); ``_silence_`` clips (noise
recordings) are labelled ``_silence_`` over the whole clip, so a false accept on one can be told from one
on the generated background. Other folders starting with ``_`` (``_background_noise_``) are left out:
give noise recordings with ``background``. Each inserted clip is scaled so that its word's RMS is ``snr_db``
(drawn in [min, max]) above the background level: the nominal ``background_rms_db`` (each background piece
at that +- 3 dB), or, given ``max_background_rms_db`` (pieces' levels drawn in [background_rms_db,
max_background_rms_db]), the power mean of the levels of the pieces under the word. After each keyword,
``words_after_keyword`` (drawn in [min, max]) other words can follow before the kinds are drawn again
(``follow_gap_ms`` before each, default ``gap_ms``), as in speech where a command is part of a sentence.
Optionally reverberated with a simulated room
(``harken.datasets.rir``), and the next clip starts at least ``min_gap_ms`` (up to ``max_gap_ms``)
after the word's end, so words are spaced more than a word plus the suppression time apart. Everything
is drawn from ``default_rng([seed, ...])`` over sorted file lists: the same folder and seed give the
same bytes. Unreadable clips are skipped (logged). Scoring a stream is ``harken.streaming.scoring``'s job.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harken._util.atomic import write_json_atomic
from harken._util.settings import Settings, check_count, check_number, check_probability, check_range
from harken.errors import AudioError, DatasetError, SettingsError
from harken.streaming.background import Background
from harken.streaming.labels import StreamLabel, write_labels

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".flac")
UNKNOWN, SILENCE = "_unknown_", "_silence_"
EXTENT_FRAME_MS = 10

__all__ = ["MadeStream", "StreamSettings", "make_stream", "word_extent"]


@dataclass(slots=True, kw_only=True)
class StreamSettings(Settings):
    """How a test stream is made (defaults: 16 kHz, words 5-20 dB above a -45 dBFS background)."""

    minutes: float = 10.0
    sample_rate_hz: int = 16000
    keywords: tuple[str, ...] | None = None  # None: every folder not starting with '_'
    min_snr_db: float = 5.0
    max_snr_db: float = 20.0
    background_rms_db: float = -45.0  # the level, or the low end of the range up to max_background_rms_db
    max_background_rms_db: float | None = None  # None: one level (+- 3 dB per piece; SNRs relative to it)
    reverb: float = 0.0  # share of clips convolved with a simulated room
    num_rooms: int = 16
    min_gap_ms: int = 1500
    max_gap_ms: int = 4000
    min_words_after_keyword: int = 0  # other words right after each keyword
    max_words_after_keyword: int = 0
    min_follow_gap_ms: int | None = None  # gap before those words; None: min_gap_ms..max_gap_ms
    max_follow_gap_ms: int | None = None
    keyword_share: float = 0.5
    silence_share: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.keywords is not None:
            self.keywords = tuple(self.keywords)
        self.validate()

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field."""
        check_number(self, "minutes", lo=0.01, hi=24 * 60.0, unit=" min")
        check_count(self, "sample_rate_hz", lo=4000, hi=96_000)
        check_range(self, "snr_db", lo=-20.0, hi=60.0, unit=" dB")
        check_number(self, "background_rms_db", lo=-100.0, hi=-3.0, unit=" dB")
        if self.max_background_rms_db is not None:
            check_number(self, "max_background_rms_db", lo=-100.0, hi=-3.0, unit=" dB")
            if self.max_background_rms_db < self.background_rms_db:
                raise SettingsError(f"StreamSettings.max_background_rms_db={self.max_background_rms_db} < "
                                    f"background_rms_db={self.background_rms_db}: give the range low,high")  # fmt: skip
        check_probability(self, "reverb")
        check_count(self, "num_rooms", lo=1, hi=1024)
        check_range(self, "gap_ms", lo=0, hi=600_000, unit=" ms")
        check_count(self, "min_words_after_keyword", lo=0, hi=100)
        check_count(self, "max_words_after_keyword", lo=0, hi=100)
        check_range(self, "words_after_keyword", lo=0, hi=100)
        if (self.min_follow_gap_ms is None) != (self.max_follow_gap_ms is None):
            raise SettingsError(f"StreamSettings.min_follow_gap_ms={self.min_follow_gap_ms}, max_follow_gap_ms="
                                f"{self.max_follow_gap_ms}: give both or neither")  # fmt: skip
        if self.min_follow_gap_ms is not None:
            check_range(self, "follow_gap_ms", lo=0, hi=600_000, unit=" ms")
        check_probability(self, "keyword_share")
        check_probability(self, "silence_share")
        if self.keyword_share + self.silence_share > 1.0:
            raise SettingsError(f"StreamSettings.keyword_share={self.keyword_share} + silence_share="
                                f"{self.silence_share} > 1: the rest are other words; lower one of them")  # fmt: skip
        if self.keywords is not None and (not self.keywords or any(k.startswith("_") or not k for k in self.keywords)):
            raise SettingsError(f"StreamSettings.keywords={self.keywords!r}: give folder names not starting with '_'")


@dataclass(slots=True, kw_only=True)
class MadeStream:
    """What :func:`make_stream` wrote: the files, the labels and the counts."""

    wav: Path
    labels_csv: Path
    recipe_json: Path
    duration_s: float
    labels: list[StreamLabel]
    counts: dict[str, int]  # inserted clips per kind (each keyword, _unknown_, _silence_)
    num_clipped_samples: int


def word_extent(clip: np.ndarray, sample_rate_hz: int) -> tuple[int, int]:
    """``[start, stop)`` in samples of the word in ``clip``, from its 10 ms frame energies.

    A frame is part of the word when its energy is above the floor (10th percentile) by 40 % of the
    distance from the floor to the peak (in dB); the extent runs from the first to the last such frame.

    Examples
    --------
    >>> x = np.r_[np.zeros(3200), np.sin(np.arange(4800) / 3.0), np.zeros(8000)].astype(np.float32)
    >>> word_extent(x + 1e-4 * np.random.default_rng(0).standard_normal(x.size).astype(np.float32), 16000)
    (3200, 8000)
    """
    frame = max(sample_rate_hz * EXTENT_FRAME_MS // 1000, 1)
    num_frames = clip.size // frame
    if num_frames == 0:
        return 0, int(clip.size)
    frames = np.asarray(clip[: num_frames * frame], np.float64).reshape(num_frames, frame)
    energy_db = 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    floor, peak = float(np.percentile(energy_db, 10)), float(energy_db.max())
    active = np.flatnonzero(energy_db >= floor + 0.4 * (peak - floor))
    if peak - floor < 6.0 or active.size == 0:  # no word stands out: the whole clip
        return 0, int(clip.size)
    return int(active[0] * frame), int(min((active[-1] + 1) * frame, clip.size))


def _pools(dataset: Path, keywords: tuple[str, ...] | None) -> dict[str, list[tuple[Path, str, str]]]:
    """Per kind (each keyword, _unknown_, _silence_): the (file, label, word) entries, sorted by path."""
    if not dataset.is_dir():
        raise DatasetError(f"{dataset}: no such dataset folder; give a folder of class folders (on/, _unknown_/...)")
    folders = sorted(p for p in dataset.iterdir() if p.is_dir())
    chosen = keywords or tuple(p.name for p in folders if not p.name.startswith("_"))
    missing = [k for k in chosen if not (dataset / k).is_dir()]
    if missing or not chosen:
        raise DatasetError(f"{dataset}: no keyword folder {', '.join(missing) or '(none found)'}; "
                           "give --keywords that are folders of the dataset")  # fmt: skip
    pools: dict[str, list[tuple[Path, str, str]]] = {k: [] for k in (*chosen, UNKNOWN, SILENCE)}
    for folder in folders:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
        for path in files:
            if folder.name in chosen:
                pools[folder.name].append((path, folder.name, folder.name))
            elif folder.name == SILENCE:
                pools[SILENCE].append((path, SILENCE, ""))
            elif folder.name == UNKNOWN:
                pools[UNKNOWN].append((path, UNKNOWN, path.stem.split("_")[0]))
            elif not folder.name.startswith("_"):
                pools[UNKNOWN].append((path, UNKNOWN, folder.name))
    empty = [k for k in chosen if not pools[k]]
    if empty:
        raise DatasetError(f"{dataset}: the keyword folder(s) {', '.join(empty)} hold no .wav/.flac clips")
    return pools


class _Drawer:
    """Clips of each pool in a seeded shuffled order, reshuffled when used up; unreadable files skipped."""

    def __init__(self, pools: dict, rng: np.random.Generator, sample_rate_hz: int) -> None:
        self.pools, self.rng, self.rate = pools, rng, sample_rate_hz
        self.orders: dict[str, list[int]] = {k: [] for k in pools}
        self.bad: set[Path] = set()

    def draw(self, kind: str) -> tuple[np.ndarray, tuple[Path, str, str]] | None:
        from harken.audio.io import read_audio

        pool = self.pools[kind]
        for _ in range(len(pool) * 2):
            if not self.orders[kind]:
                self.orders[kind] = list(self.rng.permutation(len(pool)))
            entry = pool[self.orders[kind].pop()]
            if entry[0] in self.bad:
                continue
            try:
                return read_audio(entry[0], sample_rate_hz=self.rate, dtype="float32")[0], entry
            except AudioError as exc:
                log.warning("skipping %s", exc)
                self.bad.add(entry[0])
        return None


def _kind(rng: np.random.Generator, settings: StreamSettings, pools: dict) -> str:
    u = rng.random()
    keywords = [k for k in pools if k not in (UNKNOWN, SILENCE)]
    if u < settings.keyword_share or not (pools[UNKNOWN] or pools[SILENCE]):
        return keywords[int(rng.integers(len(keywords)))]
    if (u < settings.keyword_share + settings.silence_share and pools[SILENCE]) or not pools[UNKNOWN]:
        return SILENCE
    return UNKNOWN


def _rooms(settings: StreamSettings):
    if settings.reverb <= 0.0:
        return None
    from harken.augment.reverb import RirSet
    from harken.datasets.rir import RirBankSettings, rir_bank

    bank = rir_bank(RirBankSettings(num_rirs=settings.num_rooms, sample_rate_hz=settings.sample_rate_hz,
                                    seed=settings.seed))  # fmt: skip
    return RirSet([bank.get(i) for i in range(len(bank))])


def _reference_db(settings: StreamSettings, background: Background, first: int, stop: int) -> float:
    """The level a word in samples [first, stop) is scaled against: nominal, or the pieces' power mean."""
    if settings.max_background_rms_db is None or background.starts.size == 0:
        return settings.background_rms_db
    starts = background.starts
    lo = max(int(np.searchsorted(starts, first, side="right")) - 1, 0)
    hi = max(int(np.searchsorted(starts, max(stop - 1, first), side="right")) - 1, lo)
    ends = np.r_[starts[1:], np.iinfo(np.int64).max]
    weights = np.minimum(ends[lo : hi + 1], max(stop, first + 1)) - np.maximum(starts[lo : hi + 1], first)
    weights = np.maximum(weights, 0).astype(np.float64)
    power = np.sum(weights * 10.0 ** (background.levels_db[lo : hi + 1] / 10.0)) / max(np.sum(weights), 1.0)
    return float(10.0 * np.log10(power))


def _insert(stream: np.ndarray, clip: np.ndarray, at: int, extent: tuple[int, int], snr_db: float,
            background_rms_db: float) -> float:
    """Add ``clip`` at ``at``, its word scaled ``snr_db`` above the background; return the SNR reached."""
    word = clip[extent[0] : extent[1]].astype(np.float64)
    rms = float(np.sqrt(np.mean(word**2))) if word.size else 0.0
    if rms == 0.0:
        return float("-inf")
    gain = 10.0 ** ((background_rms_db + snr_db) / 20.0) / rms
    peak = float(np.max(np.abs(clip)))
    gain = min(gain, 0.9 / peak)  # keep the word's peaks below full scale
    length = min(clip.size, stream.size - at)
    stream[at : at + length] += clip[:length] * np.float32(gain)
    return float(20.0 * np.log10(gain * rms) - background_rms_db)


def _followers(kind: str, pending: int, settings: StreamSettings, rng: np.random.Generator) -> int:
    """How many other words still follow after this clip (drawn anew after each keyword)."""
    if kind in (UNKNOWN, SILENCE) or settings.max_words_after_keyword == 0:
        return max(pending - 1, 0)
    return int(rng.integers(settings.min_words_after_keyword, settings.max_words_after_keyword + 1))


def _gap_range(settings: StreamSettings, pending: int) -> tuple[int, int]:
    if pending and settings.min_follow_gap_ms is not None:
        return settings.min_follow_gap_ms, settings.max_follow_gap_ms
    return settings.min_gap_ms, settings.max_gap_ms


def _place_words(background: Background, pools: dict, settings: StreamSettings, progress) -> tuple[list, dict]:
    """Insert the words into ``background.audio`` (in place); return their labels and the counts per kind."""
    stream, rate = background.audio, settings.sample_rate_hz
    rng = np.random.default_rng([settings.seed, 0])
    drawer = _Drawer(pools, np.random.default_rng([settings.seed, 1]), rate)
    follow_rng = np.random.default_rng([settings.seed, 2])  # its own stream: 0,0 draws nothing from rng
    rooms = _rooms(settings)
    labels, counts = [], {k: 0 for k in pools}
    pending = 0  # other words still to follow the last keyword
    at = int(rng.uniform(settings.min_gap_ms, settings.max_gap_ms) * rate / 1000)
    while at < stream.size:
        kind = UNKNOWN if pending else _kind(rng, settings, pools)
        pending = _followers(kind, pending, settings, follow_rng)
        drawn = drawer.draw(kind)
        snr_db, reverb_u, room_u = rng.uniform(settings.min_snr_db, settings.max_snr_db), rng.random(), rng.random()
        gap = int(rng.uniform(*_gap_range(settings, pending)) * rate / 1000)
        if drawn is None:
            raise DatasetError(f"{pools[kind][0][0].parent}: no readable clips left in this folder")
        clip, (path, label, word) = drawn
        start, stop = word_extent(clip, rate) if kind != SILENCE else (0, clip.size)
        reverb = rooms is not None and reverb_u < settings.reverb
        if reverb:
            from harken.augment.reverb import reverberate

            clip = reverberate(clip, rooms, min(int(room_u * len(rooms)), len(rooms) - 1))
        if at + clip.size > stream.size:
            break
        reference = _reference_db(settings, background, at + start, at + stop)
        reached = _insert(stream, clip, at, (start, stop), snr_db, reference)
        counts[kind] += 1
        labels.append(StreamLabel((at + start) / rate, (at + stop) / rate, label, extra={
            "word": word, "source": f"{path.parent.name}/{path.name}", "snr_db": f"{reached:.1f}",
            "reverb": "1" if reverb else "0"}))  # fmt: skip
        at = max(at + stop + gap, at + clip.size)
        if progress is not None:
            progress(min(at, stream.size) // rate, stream.size // rate)
    return labels, counts


def make_stream(
    dataset: str | os.PathLike,
    out: str | os.PathLike,
    settings: StreamSettings | None = None,
    *,
    background: str | os.PathLike | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MadeStream:
    """Write the stream ``out`` (wav), ``out`` with ``.csv`` (labels) and ``.json`` (recipe and counts).

    ``background``: a folder of noise recordings; None uses harken's generated noise.
    ``progress(done_s, total_s)`` is called after each inserted clip.
    """
    from harken.audio.io import write_wav
    from harken.streaming.background import make_background_pieces

    settings = settings if settings is not None else StreamSettings()
    settings.validate()
    out = Path(out)
    if out.suffix.lower() != ".wav":
        raise SettingsError(f"{out}: the stream is written as a wav; give a name ending in .wav")
    pools = _pools(Path(dataset), settings.keywords)
    if settings.max_words_after_keyword > 0 and not pools[UNKNOWN]:
        raise DatasetError(f"{dataset}: no other words (_unknown_/ or non-keyword folders) to follow keywords "
                           "with; give words_after_keyword 0,0 or add other words")  # fmt: skip
    recordings = None
    if background is not None:
        from harken.augment.noise_mix import read_noise_folder

        recordings = read_noise_folder(background, sample_rate_hz=settings.sample_rate_hz)
    num_samples = int(round(settings.minutes * 60 * settings.sample_rate_hz))
    background_pieces = make_background_pieces(num_samples, sample_rate_hz=settings.sample_rate_hz,
                                               seed=settings.seed, rms_db=settings.background_rms_db,
                                               max_rms_db=settings.max_background_rms_db, recordings=recordings)
    labels, counts = _place_words(background_pieces, pools, settings, progress)
    stream = background_pieces.audio
    clipped = int(np.count_nonzero(np.abs(stream) >= 1.0))
    if clipped:
        log.warning("%s: %d samples clipped at full scale", out, clipped)
    write_wav(out, np.clip(stream, -1.0, 32767 / 32768), settings.sample_rate_hz)
    csv_path, json_path = out.with_suffix(".csv"), out.with_suffix(".json")
    write_labels(csv_path, labels)
    recipe = {"dataset": str(dataset), "background": str(background) if background else "generated",
              "settings": settings.to_dict(), "duration_s": num_samples / settings.sample_rate_hz,
              "num_labels": len(labels), "counts": counts, "num_clipped_samples": clipped}  # fmt: skip
    write_json_atomic(json_path, recipe, indent=2)
    return MadeStream(wav=out, labels_csv=csv_path, recipe_json=json_path, duration_s=recipe["duration_s"],
                      labels=labels, counts=counts, num_clipped_samples=clipped)  # fmt: skip
