"""The firmware's command recognizer: per-inference class scores in, detections out.

In: each inference's scores as uint8 (:func:`scores_to_uint8`) and its time in ms. Out: a
:class:`Detection` when a keyword fires. Reproduces the vendor audio classifier exactly:

- ``minimum_count == 0``: no averaging, the latest scores are used as they are;
- otherwise the result is appended to a queue of at most ``MAX_RESULTS`` (50) entries (when the queue
  is full the *newest* result is dropped) *before* entries strictly older than
  ``now - average_window_duration_ms`` leave its front; with fewer than ``minimum_count`` left there is
  no detection; per-class sums (uint32) are floor-divided by the count;
- the top class wins by strict ``>`` (ties go to the lower index); its threshold is
  ``detection_threshold_list[top]`` when the list is present, else ``detection_threshold``;
- a detection iff score > threshold, the label does not start with ``_``, and (top != previous top or
  ``now - previous time > suppression_ms``); only a detection updates the previous top and time, which
  start at class 0 and 0 ms (so class 0 cannot fire in the first ``suppression_ms``).

:func:`recognize` gives the same detections over a whole score history, fast (what a threshold sweep
re-runs). Resetting the front end after a detection (``suppression_ms <= 1``) is the device loop's job
(:mod:`harken.streaming.loop`). This module runs no model and reads no audio.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harken._util.settings import Settings, check_count
from harken.errors import SettingsError

MAX_RESULTS = 50
#: What to do about settings that can never fire (:meth:`RecognizerSettings.never_detects_at`).
NEVER_DETECTS_REMEDY = ("lower minimum_count or lengthen average_window_duration_ms (harken calibrate MODEL "
                        "--stream S.wav --labels S.csv --search-recognizer chooses them)")
RECOGNIZER_KEYS = ("average_window_duration_ms", "minimum_count", "detection_threshold", "detection_threshold_list",
                   "suppression_ms")  # fmt: skip

__all__ = ["MAX_RESULTS", "NEVER_DETECTS_REMEDY", "CommandRecognizer", "Detection", "RecognizerSettings",
           "average_scores", "detect", "recognize", "scores_to_uint8"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecognizerSettings(Settings):
    """The command recognizer's settings (the firmware's SL_PARAMSv1 key names).

    The defaults are the spec's (``harken.spec.DetectionSettings``) and the vendor's: 1000 ms window,
    3 results at least, threshold 160, 750 ms suppression.

    Examples
    --------
    >>> RecognizerSettings(detection_threshold_list=(200, 200, 255)).threshold(1)
    200
    """

    average_window_duration_ms: int = 1000
    minimum_count: int = 3
    detection_threshold: int = 160
    detection_threshold_list: tuple[int, ...] | None = None
    suppression_ms: int = 750

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field."""
        for name in ("average_window_duration_ms", "minimum_count", "suppression_ms"):
            check_count(self, name, lo=0, hi=2**31 - 1)
        check_count(self, "detection_threshold", lo=0, hi=255)
        if self.detection_threshold_list is not None:
            values = self.detection_threshold_list
            if not isinstance(values, tuple) or not values:
                raise SettingsError(f"RecognizerSettings.detection_threshold_list={values!r}: give a non-empty tuple")
            for value in values:
                check_count(self, "detection_threshold_list", value, lo=0, hi=255)

    def threshold(self, class_index: int) -> int:
        """The threshold of one class: its list entry when the list is present, else the single value."""
        if self.detection_threshold_list is not None:
            return int(self.detection_threshold_list[class_index])
        return int(self.detection_threshold)

    def thresholds(self, num_classes: int) -> np.ndarray:
        """Every class's threshold, int64 [num_classes]."""
        self.check_classes(num_classes)
        return np.array([self.threshold(i) for i in range(num_classes)], dtype=np.int64)

    def results_in_window(self, hop_ms: int) -> int:
        """How many results the averaging window holds when one comes every ``hop_ms`` (the newest included)."""
        return min(self.average_window_duration_ms // max(int(hop_ms), 1) + 1, MAX_RESULTS)

    def never_detects_at(self, hop_ms: int) -> str | None:
        """Why nothing can ever be detected at this loop period (a count above what the window holds), or None.

        Examples
        --------
        >>> RecognizerSettings(average_window_duration_ms=300, minimum_count=2).never_detects_at(505)
        'minimum_count 2 is never met: a 300 ms averaging window holds 1 result at a 505 ms hop'
        """
        held = self.results_in_window(hop_ms)
        if self.minimum_count == 0 or self.minimum_count <= held:
            return None
        return (f"minimum_count {self.minimum_count} is never met: a {self.average_window_duration_ms} ms averaging "
                f"window holds {held} result{'s' if held != 1 else ''} at a {int(hop_ms)} ms hop")

    def check_classes(self, num_classes: int, *, source: str = "RecognizerSettings") -> None:
        """SettingsError unless ``detection_threshold_list`` (when present) has one value per class."""
        values = self.detection_threshold_list
        if values is not None and len(values) != num_classes:
            raise SettingsError(
                f"{source}: detection_threshold_list has {len(values)} values for {num_classes} classes; "
                "give one threshold per class"
            )

    @classmethod
    def from_params(cls, params: dict[str, Any], n_classes: int, source: str) -> RecognizerSettings:
        """From a model's embedded SL_PARAMSv1 settings; keys it lacks keep the defaults above."""
        values: dict[str, Any] = {}
        for key in RECOGNIZER_KEYS:
            if key not in params or params[key] is None:
                continue
            value = params[key]
            if key == "detection_threshold_list":
                value = tuple(_whole(v, key, source) for v in value)
            else:
                value = _whole(value, key, source)
            values[key] = value
        try:
            settings = cls(**values)
        except SettingsError as exc:
            raise SettingsError(f"{source}: {exc}") from None
        settings.check_classes(n_classes, source=source)
        return settings


def _whole(value: Any, key: str, source: str) -> int:
    """An embedded number as int (floats like 300.0 are fine, 0.5 is not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or int(value) != value:
        raise SettingsError(f"{source}: {key}={value!r} must be a whole number")
    return int(value)


@dataclass(frozen=True, slots=True)
class Detection:
    """One detection: when (ms from the stream's start), which class, and its averaged uint8 score."""

    time_ms: int
    class_index: int
    label: str
    score: int

    def line(self) -> str:
        """The firmware's log line.

        Examples
        --------
        >>> Detection(1530, 1, "off", 231).line()
        'Detected class=1 label=off score=231 @1530ms'
        """
        return f"Detected class={self.class_index} label={self.label} score={self.score} @{self.time_ms}ms"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {"time_ms": self.time_ms, "class_index": self.class_index, "label": self.label, "score": self.score}


def scores_to_uint8(output: np.ndarray, dtype: Any) -> np.ndarray:
    """A model output as the firmware's uint8 scores: int8 ``s`` -> ``s + 128``; float -> ``trunc(s * 255)``.

    uint8 outputs pass unchanged; floats are clipped to 0..255 after truncation.

    Examples
    --------
    >>> scores_to_uint8(np.array([-128, 0, 127], np.int8), np.int8).tolist()
    [0, 128, 255]
    >>> scores_to_uint8(np.array([0.5, 0.999], np.float32), np.float32).tolist()
    [127, 254]
    """
    dtype = np.dtype(dtype)
    out = np.asarray(output)
    if dtype == np.int8:
        return (out.astype(np.int16) + 128).astype(np.uint8)
    if dtype == np.uint8:
        return out.astype(np.uint8)
    if dtype.kind == "f":
        return np.clip(np.trunc(out.astype(np.float32) * np.float32(255.0)), 0, 255).astype(np.uint8)
    raise SettingsError(f"model output type {dtype} has no uint8 score mapping; use int8, uint8 or float32")


class CommandRecognizer:
    """The incremental recognizer: ``process(scores_u8, now_ms)`` per inference, in time order.

    Examples
    --------
    >>> r = CommandRecognizer(RecognizerSettings(minimum_count=0, detection_threshold=200), ["on", "off"])
    >>> r.process(np.array([10, 240], np.uint8), 100)
    Detection(time_ms=100, class_index=1, label='off', score=240)
    """

    def __init__(self, settings: RecognizerSettings, labels: Sequence[str]) -> None:
        settings.validate()
        settings.check_classes(len(labels))
        self.settings = settings
        self.labels = tuple(labels)
        self._thresholds = [settings.threshold(i) for i in range(len(self.labels))]
        self.reset()

    def reset(self) -> None:
        """Power-on state: an empty queue, previous top class 0 at 0 ms."""
        self._queue: deque[tuple[int, np.ndarray]] = deque()
        self.previous_top, self.previous_time_ms = 0, 0
        self._last_time_ms: int | None = None

    def process(self, scores_u8: np.ndarray, now_ms: int) -> Detection | None:
        """Feed one inference's uint8 scores [classes] at ``now_ms``; the detection it makes, or None."""
        now_ms = int(now_ms)
        if self._last_time_ms is not None and now_ms < self._last_time_ms:
            raise SettingsError(f"result at {now_ms} ms after one at {self._last_time_ms} ms: feed results in time order")
        self._last_time_ms = now_ms
        scores = np.asarray(scores_u8, dtype=np.uint8)
        if scores.shape != (len(self.labels),):
            raise SettingsError(f"scores of shape {scores.shape} for {len(self.labels)} classes")
        average = self._average(scores, now_ms)
        if average is None:
            return None
        top = int(np.argmax(average))  # the first maximum: strict > over ascending indices
        score = int(average[top])
        label = self.labels[top]
        if score <= self._thresholds[top] or label.startswith("_"):
            return None
        if top == self.previous_top and now_ms - self.previous_time_ms <= self.settings.suppression_ms:
            return None
        self.previous_top, self.previous_time_ms = top, now_ms
        return Detection(now_ms, top, label, score)

    def _average(self, scores: np.ndarray, now_ms: int) -> np.ndarray | None:
        s = self.settings
        if s.minimum_count == 0:
            return scores.astype(np.int64)
        if len(self._queue) < MAX_RESULTS:
            self._queue.append((now_ms, scores.copy()))
        limit = now_ms - s.average_window_duration_ms
        while self._queue and self._queue[0][0] < limit:
            self._queue.popleft()
        if len(self._queue) < s.minimum_count:
            return None
        total = np.sum([entry[1] for entry in self._queue], axis=0, dtype=np.int64) % 2**32
        return total // len(self._queue)


def average_scores(scores_u8: np.ndarray, times_ms: np.ndarray, settings: RecognizerSettings) -> tuple[np.ndarray, np.ndarray]:
    """The recognizer's averaged scores after every result: (averages int64 [n, classes], valid bool [n]).

    ``valid`` is False where fewer than ``minimum_count`` results were in the window. Averages do not
    depend on thresholds or suppression, so a sweep computes them once.
    """
    scores = np.asarray(scores_u8, dtype=np.uint8)
    times = np.asarray(times_ms, dtype=np.int64)
    if scores.ndim != 2 or times.shape != (scores.shape[0],):
        raise SettingsError(f"scores {scores.shape} and times {times.shape}: expected [n, classes] and [n]")
    if np.any(np.diff(times) < 0):
        raise SettingsError("times_ms must not decrease: feed results in time order")
    n = len(times)
    if settings.minimum_count == 0:
        return scores.astype(np.int64), np.ones(n, dtype=bool)
    admitted, first = _queue_spans(times, settings.average_window_duration_ms)
    kept = np.where(admitted[:, None], scores.astype(np.int64), 0)
    sums = np.concatenate([np.zeros((1, scores.shape[1]), np.int64), np.cumsum(kept, axis=0)])
    counts = np.concatenate([[0], np.cumsum(admitted)])
    index = np.arange(n)
    num = counts[index + 1] - counts[first]
    total = (sums[index + 1] - sums[first]) % 2**32
    averages = total // np.maximum(num, 1)[:, None]
    return averages, num >= settings.minimum_count


def _queue_spans(times: np.ndarray, window_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Which results entered the 50-entry queue, and for each step the first index still in it."""
    n = len(times)
    admitted = np.zeros(n, dtype=bool)
    first = np.zeros(n, dtype=np.int64)
    times_list = times.tolist()
    queue: deque[int] = deque()
    for i, now in enumerate(times_list):
        if len(queue) < MAX_RESULTS:
            queue.append(i)
            admitted[i] = True
        limit = now - window_ms
        while queue and times_list[queue[0]] < limit:
            queue.popleft()
        first[i] = queue[0] if queue else i + 1
    return admitted, first


def recognize(scores_u8: np.ndarray, times_ms: np.ndarray, settings: RecognizerSettings,
              labels: Sequence[str]) -> list[Detection]:  # fmt: skip
    """The detections of a whole score history (uint8 [n, classes], times [n] in ms), exactly as
    :class:`CommandRecognizer` would make them fed one result at a time."""
    settings.check_classes(len(labels))
    averages, valid = average_scores(scores_u8, times_ms, settings)
    return detect(averages, valid, times_ms, settings, labels)


def detect(averages: np.ndarray, valid: np.ndarray, times_ms: np.ndarray, settings: RecognizerSettings,
           labels: Sequence[str]) -> list[Detection]:  # fmt: skip
    """The detections from :func:`average_scores`' output: thresholds, labels and suppression only.

    A threshold sweep computes the averages once (they depend on the window and minimum count only)
    and calls this for each threshold.
    """
    times = np.asarray(times_ms, dtype=np.int64)
    top = np.argmax(averages, axis=1)
    score = averages[np.arange(len(top)), top]
    keyword = np.array([not label.startswith("_") for label in labels], dtype=bool)
    candidate = valid & keyword[top] & (score > settings.thresholds(len(labels))[top])
    detections: list[Detection] = []
    previous_top, previous_time = 0, 0
    for i in np.flatnonzero(candidate).tolist():
        t, c = int(times[i]), int(top[i])
        if c == previous_top and t - previous_time <= settings.suppression_ms:
            continue
        previous_top, previous_time = c, t
        detections.append(Detection(t, c, labels[c], int(score[i])))
    return detections
