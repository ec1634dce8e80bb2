"""Evaluate a model on a long labelled stream, as the device would run it.

In: a model (spec NAME, ``.tflite`` or archive), the stream (a wav) and its labels CSV. Out: a
:class:`StreamEvaluation` (the figures of ``harken.streaming.scoring`` at the model's own thresholds,
and the DET curve over a threshold sweep), saved as ``stream-results.json``, ``stream-detections.csv``
(every detection and what it was) and ``stream-det.png``.

The device loop (``harken.streaming.loop.run_device_loop``) runs once; its scores are kept, and each
point of the sweep re-runs only the recognizer on them. The labels are checked against the stream's
duration and the model's classes before the model runs.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harken._util.atomic import write_json_atomic, write_text_atomic
from harken.streaming.labels import StreamLabel, read_labels, read_stream
from harken.streaming.scoring import StreamScore, det_curve, match_detections, score_detections

RESULTS_FILE = "stream-results.json"
DETECTIONS_FILE = "stream-detections.csv"
DET_FILE = "stream-det.png"

__all__ = ["StreamEvaluation", "evaluate_stream", "load_labelled_stream", "run_stream", "save_stream_evaluation"]


@dataclass(slots=True, kw_only=True)
class StreamEvaluation:
    """A model's figures on one labelled stream, and the detections they come from."""

    model: str
    stream: str
    labels_file: str
    classes: list[str]
    hop_ms: int
    volume_gain: int
    num_inferences: int
    recognizer: dict
    thresholds: list[int]
    score: StreamScore
    det_curve: list[dict]
    detections: list  # harken.streaming.recognizer.Detection
    labels: list[StreamLabel]

    def to_dict(self) -> dict:
        """The JSON of ``stream-results.json`` (the detections are in the CSV; here only their count)."""
        return {
            "model": self.model, "stream": self.stream, "labels": self.labels_file, "classes": self.classes,
            "hop_ms": self.hop_ms, "volume_gain": self.volume_gain, "num_inferences": self.num_inferences,
            "recognizer": self.recognizer, "thresholds": dict(zip(self.classes, self.thresholds)),
            "num_detections": len(self.detections), **self.score.to_dict(), "det_curve": self.det_curve,
        }  # fmt: skip


def load_labelled_stream(model, stream: str | os.PathLike, labels: str | os.PathLike):
    """The stream's int16 audio at the model's rate and its checked labels (duration and class names)."""
    rate = model.frontend.sample_rate_hz
    audio = read_stream(stream, sample_rate_hz=rate)
    return audio, read_labels(labels, duration_s=audio.size / rate, classes=model.classes)


def run_stream(model, audio, *, hop_ms: int | None = None, volume_gain: int | None = None, saturate: bool = False,
               recognizer=None, progress: Callable[[int, int], None] | None = None):  # fmt: skip
    """The device loop over the stream (scores kept for sweeps); see ``run_device_loop``."""
    from harken.streaming.loop import run_device_loop

    return run_device_loop(model, audio, hop_ms=hop_ms, recognizer=recognizer, volume_gain=volume_gain,
                           saturate=saturate, progress=progress)  # fmt: skip


def evaluate_stream(
    model: str | os.PathLike,
    stream: str | os.PathLike,
    labels: str | os.PathLike,
    *,
    hop_ms: int | None = None,
    volume_gain: int | None = None,
    saturate: bool = False,
    interpreter: str = "tflm",
    sweep: Sequence[int] = range(256),
    progress: Callable[[int, int], None] | None = None,
) -> StreamEvaluation:
    """Run the device loop over ``stream`` and score it against ``labels`` (see the module docstring).

    Examples
    --------
    >>> ev = evaluate_stream("on_off_offline", "stream.wav", "stream.csv")  # doctest: +SKIP
    >>> ev.score.false_accepts_per_hour, ev.score.overall_false_reject_rate  # doctest: +SKIP
    (1.5, 0.042)
    """
    from harken.streaming.model import load_stream_model

    loaded = load_stream_model(model, interpreter=interpreter)
    audio, words = load_labelled_stream(loaded, stream, labels)
    duration_s = audio.size / loaded.frontend.sample_rate_hz
    result = run_stream(loaded, audio, hop_ms=hop_ms, volume_gain=volume_gain, saturate=saturate, progress=progress)
    classes = list(loaded.classes)
    settings = loaded.recognizer
    return StreamEvaluation(
        model=str(loaded.path), stream=str(stream), labels_file=str(labels), classes=classes,
        hop_ms=int(hop_ms if hop_ms is not None else loaded.hop_ms),
        volume_gain=int(loaded.volume_gain if volume_gain is None else volume_gain),
        num_inferences=int(result.scores.times_ms.size), recognizer=settings.to_dict(),
        thresholds=[int(t) for t in settings.thresholds(len(classes))],
        score=score_detections(result.detections, words, classes, duration_s=duration_s),
        det_curve=det_curve(result.scores.scores, result.scores.times_ms, settings, words, classes,
                            duration_s=duration_s, thresholds=sweep),
        detections=list(result.detections), labels=words,
    )  # fmt: skip


def detections_csv(evaluation: StreamEvaluation) -> str:
    """Every detection with its outcome (hit, repeat, late, false_accept) and the labelled word it belongs to."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time_s", "class_index", "label", "score", "outcome", "word_label", "word_start_s", "word_end_s",
                     "word"])  # fmt: skip
    for detection, outcome in zip(evaluation.detections, match_detections(evaluation.detections, evaluation.labels)):
        word = evaluation.labels[outcome.word] if outcome.word >= 0 else None
        writer.writerow([
            f"{detection.time_ms / 1000:.3f}", detection.class_index, detection.label, detection.score, outcome.kind,
            word.label if word else "", f"{word.start_s:.3f}" if word else "", f"{word.end_s:.3f}" if word else "",
            word.extra.get("word", "") if word else "",
        ])  # fmt: skip
    return out.getvalue()


def save_stream_evaluation(evaluation: StreamEvaluation, out_dir: str | os.PathLike, *, plots: bool = True) -> list[Path]:
    """Write ``stream-results.json``, ``stream-detections.csv`` and (with ``plots``) ``stream-det.png``; return them."""
    out = Path(out_dir)
    written = [out / RESULTS_FILE, out / DETECTIONS_FILE]
    write_json_atomic(written[0], evaluation.to_dict(), indent=2)
    write_text_atomic(written[1], detections_csv(evaluation))
    if plots:
        from harken.streaming.plots import plot_det

        written.append(plot_det(evaluation, out / DET_FILE))
    return written


def with_thresholds(settings, thresholds: Sequence[int]):
    """``settings`` (RecognizerSettings) with ``detection_threshold_list`` replaced."""
    return dataclasses.replace(settings, detection_threshold_list=tuple(int(t) for t in thresholds))
