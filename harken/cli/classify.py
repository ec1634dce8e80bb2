"""``harken classify-audio``: run the device loop over wav files or the microphone and print detections.

Thin command: parse, build the loop (:mod:`harken.streaming`), print the firmware's detection lines.
Library imports happen inside the command, so ``--help`` stays instant; a ``.tflite`` or an archive
never imports TensorFlow, and ``sounddevice`` is imported only for ``--microphone``.
Ctrl-C stops cleanly: what was dumped so far (audio, spectrograms, JSON) is written before exiting.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import typer

MODEL_HELP = "A model NAME (its trained .tflite), a .tflite file or a NAME.harken.zip archive."
WAVS_HELP = "Wav files, each run as its own stream from power-on. With --microphone: the input device NAME (optional)."
EPILOG = """Examples:

  harken classify-audio on_off_offline recording.wav --verbose

  harken classify-audio model.tflite a.wav b.wav --threshold 200 --window 500 --count 3 --json detections.json

  harken classify-audio model.tflite --microphone --dump-audio rec/ --dump-spectrograms rec/

  harken classify-audio model.tflite --microphone "USB Audio" --latency 200 --volume 2
"""
CHUNK_HOPS = 64  # hops of a wav file fed per push (Ctrl-C is noticed between pushes)


@dataclass
class _Stream:
    """One stream's outcome for the JSON report and the dumps."""

    source: str
    name: str
    loop: Any
    samples: int = 0
    interrupted: bool = False
    extra: dict = field(default_factory=dict)


def classify_audio(
    model: Annotated[str, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    wavs: Annotated[list[str] | None, typer.Argument(metavar="[WAV ...]", help=WAVS_HELP, show_default=False)] = None,
    microphone: Annotated[bool, typer.Option("--microphone", "-m", help="Listen to the microphone (needs sounddevice: pip install 'harken\\[mic]'); a NAME after MODEL picks the input device.")] = False,
    window: Annotated[int | None, typer.Option("--window", "-w", help="average_window_duration_ms: results older than now - window are dropped.", min=0)] = None,
    count: Annotated[int | None, typer.Option("--count", "-c", help="minimum_count: results needed in the window (0: no averaging).", min=0)] = None,
    threshold: Annotated[int | None, typer.Option("--threshold", "-t", help="One detection threshold 0..255 for every class (replaces the model's).", min=0, max=255)] = None,
    suppression: Annotated[int | None, typer.Option("--suppression", "-s", help="suppression_ms after a detection of the same label (<= 1: reset the front end).", min=0)] = None,
    latency: Annotated[int | None, typer.Option("--latency", "-l", help="latency_ms of the loop; the hop is the estimated inference time plus it.", min=0)] = None,
    hop_ms: Annotated[int | None, typer.Option("--hop-ms", help="The loop period itself in ms (instead of inference time + latency).", min=1)] = None,
    volume: Annotated[int | None, typer.Option("--volume", "-u", help="Integer volume gain (0 or 1: none), int16 wrap-around as on the device.", min=0)] = None,
    saturate: Annotated[bool, typer.Option("--saturate", help="Clip the gained samples instead of wrapping around.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print every inference's scores.")] = False,
    dump_audio: Annotated[Path | None, typer.Option("--dump-audio", metavar="DIR", help="Write the audio as the model heard it (after the gain) as a wav.")] = None,
    dump_spectrograms: Annotated[Path | None, typer.Option("--dump-spectrograms", metavar="DIR", help="Write the int8 windows as .npy and a PNG strip.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", metavar="FILE", help="Write the detections as JSON (for scripts).")] = None,
    seconds: Annotated[float | None, typer.Option("--seconds", help="With --microphone: stop after this many seconds (default: Ctrl-C).", min=0)] = None,
    interpreter: Annotated[str, typer.Option(help="tflm (the microcontroller interpreter: the device's scores) or litert (reference kernels, ~1.5x faster, rarely one step apart).")] = "tflm",
    tail_ms: Annotated[int, typer.Option("--tail-ms", help="Silence appended to each wav file, as if the device kept listening (a 1 s clip ends before the recognizer has averaged the word).", min=0)] = 0,
) -> None:
    """Classify audio as the device does: front end, model and command recognizer on a stream."""
    from harken.errors import SettingsError
    from harken.streaming import load_stream_model

    wavs = list(wavs or [])
    if microphone and len(wavs) > 1:
        raise SettingsError(f"--microphone takes one device NAME, got {wavs}; give wav files without --microphone")
    if not microphone and not wavs:
        raise SettingsError("give wav files to classify, or --microphone")
    if hop_ms is not None and latency is not None:
        raise SettingsError("give --hop-ms or --latency, not both (the hop is inference time + latency)")
    stream_model = load_stream_model(model, interpreter=interpreter)
    options = _loop_options(stream_model, window, count, threshold, suppression, latency, hop_ms, volume, saturate)
    dumps = {"audio": dump_audio, "spectrograms": dump_spectrograms}
    if microphone:
        streams = [_run_microphone(stream_model, options, wavs[0] if wavs else None, seconds, verbose, dumps)]
    else:
        streams = _run_files(stream_model, options, wavs, verbose, dumps, tail_ms)
    _finish(stream_model, options, streams, dumps, json_file)
    if any(s.interrupted for s in streams) and not microphone:
        raise typer.Exit(130)


def _loop_options(model, window, count, threshold, suppression, latency, hop_ms, volume, saturate) -> dict:
    """The DeviceLoop keyword arguments: the model's settings with the command line's overrides."""
    settings = model.recognizer
    changes = {k: v for k, v in (("average_window_duration_ms", window), ("minimum_count", count),
                                 ("suppression_ms", suppression)) if v is not None}  # fmt: skip
    if threshold is not None:
        changes.update(detection_threshold=threshold, detection_threshold_list=None)
    hop = hop_ms if hop_ms is not None else model.loop_period_ms(latency)
    return {"recognizer": replace(settings, **changes), "hop_ms": hop, "saturate": saturate,
            "volume_gain": model.volume_gain if volume is None else volume}  # fmt: skip


def _new_loop(model, options: dict, dumps: dict):
    from harken.streaming import DeviceLoop

    return DeviceLoop(model, keep_windows=dumps["spectrograms"] is not None, keep_audio=dumps["audio"] is not None,
                      **options)  # fmt: skip


def _report_runs(runs, classes, verbose: bool) -> None:
    """Detection lines (and with --verbose every inference's scores) on stdout."""
    for run in runs:
        if verbose:
            typer.echo(f"@{run.time_ms}ms " + " ".join(f"{c}={int(s)}" for c, s in zip(classes, run.scores)))
        if run.detection is not None:
            typer.echo(run.detection.line())


def _run_files(model, options: dict, wavs: list[str], verbose: bool, dumps: dict, tail_ms: int = 0) -> list[_Stream]:
    """Each wav (plus ``tail_ms`` of silence) as its own stream; Ctrl-C stops after the current chunk, keeping what was done."""
    import numpy as np

    from harken.audio.io import read_audio

    streams, names = [], set()
    for path in wavs:
        audio, _ = read_audio(path, sample_rate_hz=model.frontend.sample_rate_hz)
        audio = np.concatenate([audio, np.zeros(tail_ms * model.frontend.sample_rate_hz // 1000, audio.dtype)])
        stream = _Stream(source=str(path), name=_unique(Path(path).stem, names), loop=_new_loop(model, options, dumps))
        streams.append(stream)
        if len(wavs) > 1:
            typer.echo(f"# {path}")
        step = max(1, stream.loop.hop_samples_estimate * CHUNK_HOPS)
        try:
            for start in range(0, len(audio), step):
                _report_runs(stream.loop.push(audio[start : start + step]), model.classes, verbose)
                stream.samples = min(start + step, len(audio))
        except KeyboardInterrupt:
            stream.interrupted = True
            typer.echo("stopped (Ctrl-C); keeping what was processed", err=True)
            break
        _hint_short_file(model, options, stream, path, len(audio), tail_ms)
    return streams


def _hint_short_file(model, options: dict, stream: _Stream, path: str, samples: int, tail_ms: int) -> None:
    """Say why a short file gave no detection: it ended before the word had passed through the window."""
    rate = model.frontend.sample_rate_hz
    window_ms = model.window_frames * model.frontend.window_step_ms
    needed_ms = window_ms + options["recognizer"].average_window_duration_ms
    if tail_ms or stream.interrupted or stream.loop.detections or samples * 1000 >= needed_ms * rate:
        return
    typer.echo(f"note: {path}: no detection in {samples / rate:.2f} s, shorter than the model's window "
               f"({window_ms} ms) plus the recognizer's averaging; the device would hear what follows the "
               f"word: try --tail-ms {window_ms}", err=True)


def _unique(stem: str, names: set[str]) -> str:
    name, n = stem, 1
    while name in names:
        n += 1
        name = f"{stem}-{n}"
    names.add(name)
    return name


def _run_microphone(model, options: dict, name: str | None, seconds: float | None, verbose: bool,
                    dumps: dict) -> _Stream:  # fmt: skip
    """The microphone until Ctrl-C (or --seconds): detections on stdout, live scores on stderr."""
    from harken.streaming.microphone import microphone_blocks, open_microphone

    rate = model.frontend.sample_rate_hz
    stream = _Stream(source=f"microphone:{name or 'default'}", name="microphone", loop=_new_loop(model, options, dumps))
    block = max(1, options["hop_ms"] * rate // 1000)
    mic = open_microphone(name, sample_rate_hz=rate, block_samples=block)
    limit = None if seconds is None else int(seconds * rate)
    typer.echo(f"listening on {name or 'the default input'} at {rate} Hz, hop {options['hop_ms']} ms; Ctrl-C stops",
               err=True)  # fmt: skip
    blocks = microphone_blocks(mic, block, max_samples=limit)
    try:
        for samples in blocks:
            runs = stream.loop.push(samples)
            stream.samples += len(samples)
            if verbose:
                _report_runs(runs, model.classes, True)
                continue
            for run in runs:
                if run.detection is not None:
                    typer.echo("\r\033[K" + run.detection.line())
                _live_scores(run, model.classes)
    except KeyboardInterrupt:
        stream.interrupted = True
    finally:
        blocks.close()  # stops and closes the input stream
    typer.echo("\r\033[Kstopped", err=True)
    return stream


def _live_scores(run, classes) -> None:
    """One status line on stderr, redrawn every inference: each class's score and a bar."""
    parts = [f"{c} {int(s):3d} {'#' * (int(s) // 32):<8}" for c, s in zip(classes, run.scores)]
    sys.stderr.write(f"\r\033[K@{run.time_ms / 1000:7.1f}s  " + "  ".join(parts))
    sys.stderr.flush()


def _finish(model, options: dict, streams: list[_Stream], dumps: dict, json_file: Path | None) -> None:
    """Write the dumps and the JSON report of every stream (also after Ctrl-C)."""
    from harken.streaming.dumps import dump_audio, dump_spectrograms, write_json_report

    fe = model.frontend
    for stream in streams:
        if dumps["audio"] is not None:
            path = dump_audio(dumps["audio"], stream.name, stream.loop.heard(), fe.sample_rate_hz)
            stream.extra["audio"] = str(path) if path else None
        if dumps["spectrograms"] is not None:
            result = stream.loop.result()
            written = dump_spectrograms(dumps["spectrograms"], stream.name, result.scores.windows,
                                        result.scores.times_ms, window_step_ms=fe.window_step_ms)  # fmt: skip
            stream.extra["spectrograms"] = [str(p) for p in written]
    if json_file is not None:
        write_json_report(json_file, _report(model, options, streams))


def _report(model, options: dict, streams: list[_Stream]) -> dict:
    out = []
    for s in streams:
        result = s.loop.result()
        out.append({"source": s.source, "duration_ms": s.samples * 1000 // model.frontend.sample_rate_hz,
                    "inferences": int(len(result.scores.times_ms)), "interrupted": s.interrupted,
                    "detections": [d.to_dict() for d in result.detections], **s.extra})  # fmt: skip
    return {"model": model.path, "classes": list(model.classes), "hop_ms": options["hop_ms"],
            "volume_gain": options["volume_gain"], "saturate": options["saturate"],
            "recognizer": options["recognizer"].to_dict(), "streams": out}  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add ``classify-audio`` to ``app``."""
    app.command("classify-audio", epilog=EPILOG)(classify_audio)
