"""The device loop on a stream: audio -> streaming front end -> int8 model -> command recognizer.

In: a :class:`~harken.streaming.model.StreamModel` and int16 audio at its front end's rate. Out: the
scores of every inference, with their times, and the detections (:class:`StreamResult`).

What the device does, and so what this does:

- one persistent :class:`~harken.frontend.StreamingFrontend` takes the audio; every *hop* (the loop
  period) the last ``window_frames`` frames it has completed (zeros before the first ones, as the
  device's zero-initialised buffer) are scaled to int8 over that window only, run through the model
  and handed to the recognizer with time = the end of the hop (ms from the stream's start). Hop k
  ends at sample ``k * hop_ms * rate // 1000``; a last partial hop is not run.
- the hop is the device's loop period, inference time plus ``latency_ms``. Default: the model's
  ``hop_ms`` (``harken profile``'s estimated inference time on a Cortex-M33 at 78 MHz plus ``latency_ms``);
  ``hop_ms`` overrides it (measure your device's loop and give it).
- ``volume_gain`` as the firmware applies it: when its integer part g is > 1 every sample is
  multiplied by g in int16 arithmetic, which *wraps around* on overflow (the vendor firmware's
  ``int16_t`` multiply). Wrap-around is the default because it is what the device hears, loud speech
  included (a wrapped peak is a burst of broadband noise the model must live with); ``saturate=True``
  clips to int16 instead, what a firmware fixed to saturate would hear.
- with ``fe.activity_detection_enable`` the model runs only on hops whose frames tripped the front
  end's activity detector or which end with it armed (a sound in progress); other hops run nothing.
- a detection with ``suppression_ms <= 1`` resets the front end (state and buffers) and continues.

Scores are the model runner's: the tflite-micro interpreter unless the model was loaded with
``interpreter="litert"`` (see :mod:`harken.streaming.model`). Windows are collected over up to 64 hops
and then scored and recognized in order, unless a detection can reset the front end (the same
result either way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from harken.audio.io import check_audio, to_int16
from harken.errors import SettingsError
from harken.frontend import StreamingFrontend
from harken.streaming.model import DEFAULT_HOP_MS, StreamModel
from harken.streaming.recognizer import NEVER_DETECTS_REMEDY, CommandRecognizer, Detection, RecognizerSettings

BATCH_HOPS = 64
log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

__all__ = ["DEFAULT_HOP_MS", "DeviceLoop", "Inference", "StreamResult", "StreamScores", "apply_volume_gain", "hop_ends",
           "run_device_loop"]


@dataclass
class StreamScores:
    """Every inference of a stream: its time (end of its hop, ms), uint8 scores, and optionally its int8 window."""

    times_ms: np.ndarray
    scores: np.ndarray
    windows: np.ndarray | None = None


@dataclass
class StreamResult:
    """The device loop's output: the scores of every inference and the recognizer's detections."""

    scores: StreamScores
    detections: list[Detection]


def apply_volume_gain(audio: np.ndarray, gain: int, *, saturate: bool = False) -> np.ndarray:
    """int16 audio times the integer ``gain`` as the firmware does it (unchanged when gain <= 1).

    Examples
    --------
    >>> apply_volume_gain(np.array([100, 20000, -20000], np.int16), 2).tolist()
    [200, -25536, 25536]
    >>> apply_volume_gain(np.array([100, 20000, -20000], np.int16), 2, saturate=True).tolist()
    [200, 32767, -32768]
    """
    gain = int(gain)
    if gain <= 1:
        return audio
    product = audio.astype(np.int64) * gain
    if saturate:
        return np.clip(product, -32768, 32767).astype(np.int16)
    return product.astype(np.int16)  # two's-complement wrap-around, as int16_t arithmetic on the device


def hop_ends(num_samples: int, hop_ms: int, sample_rate_hz: int) -> tuple[np.ndarray, np.ndarray]:
    """(end sample, end time ms) of every whole hop of a stream of ``num_samples``."""
    if hop_ms < 1:
        raise SettingsError(f"hop_ms={hop_ms}: use a whole number of milliseconds >= 1")
    count = (num_samples * 1000) // (hop_ms * sample_rate_hz)
    times = np.arange(1, count + 1, dtype=np.int64) * hop_ms
    while count and times[-1] * sample_rate_hz // 1000 > num_samples:
        count -= 1
        times = times[:count]
    return times * sample_rate_hz // 1000, times


def run_device_loop(model: StreamModel, audio_int16: np.ndarray, *, hop_ms: int | None = None,
                    recognizer: RecognizerSettings | None = None, volume_gain: int | None = None,
                    saturate: bool = False, keep_windows: bool = False,
                    progress: Progress | None = None) -> StreamResult:  # fmt: skip
    """Run the device loop over a whole stream.

    Parameters
    ----------
    model : StreamModel
    audio_int16 : np.ndarray [shape=(n,), int16, or float32 in [-1, 1)]
        The stream at ``model.frontend.sample_rate_hz``.
    hop_ms : int, optional
        Loop period; default ``model.hop_ms``.
    recognizer : RecognizerSettings, optional
        Default: the model's embedded settings.
    volume_gain : int, optional
        Default: the model's; 0 or 1 = none.
    saturate : bool
        Clip the gained samples instead of the firmware's int16 wrap-around.
    keep_windows : bool
        Keep every int8 window in ``scores.windows``.
    progress : callable(done_samples, total_samples), optional

    Examples
    --------
    >>> result = run_device_loop(load_stream_model("m.tflite"), audio)  # doctest: +SKIP
    >>> [d.line() for d in result.detections]  # doctest: +SKIP
    ['Detected class=0 label=on score=231 @1530ms']
    """
    audio = np.asarray(audio_int16)
    if not (audio.dtype == np.int16 and audio.ndim == 1 and audio.size):
        audio = to_int16(check_audio(audio, name="stream"))
    loop = DeviceLoop(model, hop_ms=hop_ms, recognizer=recognizer, volume_gain=volume_gain, saturate=saturate,
                      keep_windows=keep_windows)  # fmt: skip
    step = max(1, loop.hop_samples_estimate * BATCH_HOPS)
    for start in range(0, len(audio), step):
        loop.push(audio[start : start + step])
        if progress is not None:
            progress(min(start + step, len(audio)), len(audio))
    return loop.result()


class Inference(NamedTuple):
    """One run of the model: the end of its hop (ms), its uint8 scores, and the detection it made (or None)."""

    time_ms: int
    scores: np.ndarray
    detection: Detection | None


class DeviceLoop:
    """The device loop fed audio as it arrives: ``push(chunk)`` runs every hop the chunk completes.

    The hop, recognizer settings and volume gain are those of :func:`run_device_loop`; ``keep_audio``
    keeps the audio as the model heard it (after the gain) in ``heard()``.
    """

    def __init__(self, model: StreamModel, *, hop_ms: int | None = None, recognizer: RecognizerSettings | None = None,
                 volume_gain: int | None = None, saturate: bool = False, keep_windows: bool = False,
                 keep_audio: bool = False) -> None:  # fmt: skip
        settings = recognizer if recognizer is not None else model.recognizer
        settings.validate()
        self.model, self.hop_ms = model, int(hop_ms if hop_ms is not None else model.hop_ms)
        if self.hop_ms < 1:
            raise SettingsError(f"hop_ms={self.hop_ms}: use a whole number of milliseconds >= 1")
        never = settings.never_detects_at(self.hop_ms)
        if never:  # a model that can never fire must not pass silently for one that hears nothing
            log.warning("%s: %s; nothing will be detected: %s", model.path, never, NEVER_DETECTS_REMEDY)
        self.gain = model.volume_gain if volume_gain is None else int(volume_gain)
        self.saturate, self.keep_windows, self.keep_audio = saturate, keep_windows, keep_audio
        self.recognizer = CommandRecognizer(settings, model.classes)
        self.frontend = StreamingFrontend(model.frontend, window_frames=model.window_frames)
        self._pending = np.zeros(0, np.int16)  # samples after the last hop's end
        self._pending_start = 0  # their position in the stream
        self._hops = 0
        self._times: list[np.ndarray] = []
        self._scores: list[np.ndarray] = []
        self._windows: list[np.ndarray] = []
        self._heard: list[np.ndarray] = []
        self.detections: list[Detection] = []

    @property
    def hop_samples_estimate(self) -> int:
        """Samples in one hop (rounded down)."""
        return self.hop_ms * self.model.frontend.sample_rate_hz // 1000

    def _hop_end(self, k: int) -> int:
        return k * self.hop_ms * self.model.frontend.sample_rate_hz // 1000

    def push(self, chunk: np.ndarray) -> list[Inference]:
        """Feed int16 samples; returns the inferences of the hops they complete (in time order)."""
        chunk = apply_volume_gain(np.asarray(chunk, dtype=np.int16), self.gain, saturate=self.saturate)
        if self.keep_audio:
            self._heard.append(chunk.copy())
        self._pending = np.concatenate([self._pending, chunk])
        stream_end = self._pending_start + len(self._pending)
        runs: list[Inference] = []
        batch: list[tuple[int, np.ndarray]] = []
        resets = self.recognizer.settings.suppression_ms <= 1
        while self._hop_end(self._hops + 1) <= stream_end:
            self._hops += 1
            end = self._hop_end(self._hops)
            used = end - self._pending_start
            frames = self.frontend.push(self._pending[:used]) if used > 0 else None
            self._pending, self._pending_start = self._pending[used:], end
            if self._active(frames):
                batch.append((self._hops * self.hop_ms, self.frontend.window("int8")))
            if resets and batch:  # a detection may reset the front end before the next window
                runs += self._run(batch)
                batch = []
        return runs + (self._run(batch) if batch else [])

    def _run(self, batch: list[tuple[int, np.ndarray]]) -> list[Inference]:
        """The model on a batch of windows, then the recognizer on each result in order."""
        windows = np.stack([w for _, w in batch])
        times = np.array([t for t, _ in batch], dtype=np.int64)
        scores = self.model.scores(windows)
        runs = []
        for row, now in zip(scores, times.tolist()):
            detection = self.recognizer.process(row, now)
            if detection is not None:
                self.detections.append(detection)
                if self.recognizer.settings.suppression_ms <= 1:
                    self.frontend.reset()
            runs.append(Inference(now, row, detection))
        self._times.append(times)
        self._scores.append(scores)
        if self.keep_windows:
            self._windows.append(windows)
        return runs

    def _active(self, frames: np.ndarray | None) -> bool:
        """Whether the model runs this hop: always, or with activity detection on only on activity."""
        if not self.model.frontend.activity_detection_enable:
            return True
        fe = self.frontend
        tripped = frames is not None and len(frames) > 0 and bool(np.any(fe.last_tripped))
        armed = fe.last_armed.size > 0 and bool(fe.last_armed[-1])
        return tripped or armed

    def heard(self) -> np.ndarray:
        """The audio pushed so far as the model heard it (after the gain); empty unless ``keep_audio``."""
        return np.concatenate(self._heard) if self._heard else np.zeros(0, np.int16)

    def result(self) -> StreamResult:
        """Every inference so far, as arrays, and the detections."""
        classes = len(self.model.classes)
        frames, channels = self.model.window_frames, self.model.frontend.filterbank_n_channels
        scores = StreamScores(
            times_ms=np.concatenate(self._times) if self._times else np.zeros(0, np.int64),
            scores=np.concatenate(self._scores) if self._scores else np.zeros((0, classes), np.uint8),
            windows=(np.concatenate(self._windows) if self._windows else np.zeros((0, frames, channels), np.int8))
            if self.keep_windows else None,
        )  # fmt: skip
        return StreamResult(scores=scores, detections=list(self.detections))
