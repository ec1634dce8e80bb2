"""Score a stream's detections against its labels: false accepts per hour, false rejects, delay, DET curve.

In: detections (``harken.streaming.recognizer.Detection``), the stream's labels (``harken.streaming.labels``)
and its duration. Out: :class:`StreamScore`. The rules:

- a keyword word ``[start, end]`` is **detected** when a detection of its label falls in
  ``[start, end + ACCEPT_S]`` (0.5 s); the delay is from the word's end to the first such detection
  (negative when the model fires before the word is over);
- a detection is a **false accept** when it is outside ``[start, end + FALSE_ACCEPT_S]`` (1.0 s) of every
  word of the same label; a detection in ``(end + 0.5, end + 1.0]`` is neither a hit nor a false accept;
- false accepts per hour = false accepts / the stream's hours; the false-reject rate of a keyword is its
  missed words over its words (overall: all keywords' words pooled).

:func:`det_curve` sweeps one threshold over every keyword (0..255) on scores taken once: each point
re-runs only the recognizer's decisions (``harken.streaming.recognizer.detect`` on averages computed
once; the same detections as ``recognize``), never the model. A front-end
reset after a detection (``suppression_ms <= 1``) is not re-simulated by the sweep. No I/O here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harken.streaming.labels import StreamLabel

ACCEPT_S = 0.5
FALSE_ACCEPT_S = 1.0
BACKGROUND = "background"

__all__ = ["ACCEPT_S", "FALSE_ACCEPT_S", "Outcome", "StreamScore", "det_curve", "match_detections", "score_detections"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one detection was: ``hit`` (its word's first), ``repeat`` (a later one in the accept window),
    ``late`` (after the accept window, within the false-accept one) or ``false_accept``; ``word`` is the
    index of the labelled word it belongs to, or for a false accept the word it fell on (-1: background)."""

    kind: str
    word: int


@dataclass(slots=True, kw_only=True)
class StreamScore:
    """The figures of one set of detections on a labelled stream (``None``: undefined, e.g. no words)."""

    duration_s: float
    keywords: list[str]
    num_words: dict[str, int]
    num_detected: dict[str, int]
    false_reject_rate: dict[str, float | None]
    overall_false_reject_rate: float | None
    num_false_accepts: dict[str, int]
    false_accepts_per_hour: float
    keyword_false_accepts_per_hour: dict[str, float]
    delay_s: dict[str, float | int | None]  # median, p90, num
    per_label: dict[str, dict]  # label -> {"words": n, "detected_as": {keyword: words}}
    false_accepts_on: dict[str, int]  # label of the word a false accept fell on, or "background"

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return dataclasses.asdict(self)


def _windows(labels: Sequence[StreamLabel], indices: np.ndarray, extra_s: float) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([labels[i].start_s for i in indices], np.float64)
    ends = np.array([labels[i].end_s + extra_s for i in indices], np.float64)
    return starts, ends


def _find(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each time, the first window ``[start, end]`` holding it (windows sorted by start), else -1."""
    if starts.size == 0:
        return np.full(times.size, -1, np.int64)
    first = np.minimum(np.searchsorted(ends, times, side="left"), starts.size - 1)
    found = (starts[first] <= times) & (times <= ends[first])
    return np.where(found, first, -1)


def match_detections(detections: Sequence, labels: Sequence[StreamLabel]) -> list[Outcome]:
    """The :class:`Outcome` of every detection (in order), by the rules of this module.

    ``labels`` must be sorted by start without overlaps, as ``read_labels`` returns them.

    Examples
    --------
    >>> from harken.streaming.recognizer import Detection
    >>> words = [StreamLabel(1.0, 1.5, "on"), StreamLabel(4.0, 4.4, "_unknown_")]
    >>> [o.kind for o in match_detections([Detection(1700, 0, "on", 230), Detection(1800, 0, "on", 210),
    ...                                    Detection(2300, 0, "on", 200), Detection(4200, 0, "on", 220)], words)]
    ['hit', 'repeat', 'late', 'false_accept']
    """
    outcomes: list[Outcome | None] = [None] * len(detections)
    times = np.array([d.time_ms / 1000.0 for d in detections], np.float64)
    names = np.array([d.label for d in detections], dtype=object)
    all_starts, all_ends = _windows(labels, np.arange(len(labels)), FALSE_ACCEPT_S)
    on_word = _find(times, all_starts, all_ends) if len(labels) else np.full(times.size, -1)
    for label in sorted(set(names.tolist())):
        mine = np.flatnonzero(names == label)
        words = np.array([i for i, item in enumerate(labels) if item.label == label], np.int64)
        accept = _find(times[mine], *_windows(labels, words, ACCEPT_S))
        grace = _find(times[mine], *_windows(labels, words, FALSE_ACCEPT_S))
        seen: set[int] = set()
        for j, a, g in zip(mine.tolist(), accept.tolist(), grace.tolist()):
            if a >= 0:
                word = int(words[a])
                outcomes[j] = Outcome("repeat" if word in seen else "hit", word)
                seen.add(word)
            elif g >= 0:
                outcomes[j] = Outcome("late", int(words[g]))
            else:
                outcomes[j] = Outcome("false_accept", int(on_word[j]))
    return outcomes  # type: ignore[return-value]


def _quantile(values: list[float], q: float) -> float | None:
    return float(np.quantile(np.array(values), q)) if values else None


def score_detections(detections: Sequence, labels: Sequence[StreamLabel], classes: Sequence[str], *,
                     duration_s: float) -> StreamScore:  # fmt: skip
    """The figures of ``detections`` on the labelled stream (``classes``: the model's, in output order).

    Examples
    --------
    >>> from harken.streaming.recognizer import Detection
    >>> words = [StreamLabel(1.0, 1.5, "on"), StreamLabel(3.0, 3.4, "on")]
    >>> s = score_detections([Detection(1600, 0, "on", 230), Detection(9000, 0, "on", 220)], words,
    ...                      ["on", "_unknown_"], duration_s=360.0)
    >>> s.false_reject_rate, s.false_accepts_per_hour, s.delay_s["median"]
    ({'on': 0.5}, 10.0, 0.1)
    """
    keywords = [c for c in classes if not c.startswith("_")]
    outcomes = match_detections(detections, labels)
    hours = duration_s / 3600.0
    num_words = {k: sum(1 for x in labels if x.label == k) for k in keywords}
    first: dict[int, float] = {}
    false_accepts = {k: 0 for k in keywords}
    fa_on: dict[str, int] = {}
    for detection, outcome in zip(detections, outcomes):
        if outcome.kind == "hit":
            first[outcome.word] = detection.time_ms / 1000.0
        elif outcome.kind == "false_accept":
            false_accepts[detection.label] = false_accepts.get(detection.label, 0) + 1
            where = BACKGROUND if outcome.word < 0 else labels[outcome.word].label
            fa_on[where] = fa_on.get(where, 0) + 1
    detected = {k: sum(1 for w in first if labels[w].label == k) for k in keywords}
    frr = {k: (1.0 - detected[k] / num_words[k]) if num_words[k] else None for k in keywords}
    total_words = sum(num_words.values())
    delays = [t - labels[w].end_s for w, t in sorted(first.items())]
    return StreamScore(
        duration_s=float(duration_s), keywords=keywords, num_words=num_words, num_detected=detected,
        false_reject_rate=frr,
        overall_false_reject_rate=(1.0 - sum(detected.values()) / total_words) if total_words else None,
        num_false_accepts=false_accepts, false_accepts_per_hour=sum(false_accepts.values()) / hours,
        keyword_false_accepts_per_hour={k: n / hours for k, n in false_accepts.items()},
        delay_s={"median": _round(_quantile(delays, 0.5)), "p90": _round(_quantile(delays, 0.9)), "num": len(delays)},
        per_label=_per_label(detections, labels), false_accepts_on=dict(sorted(fa_on.items())),
    )  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _per_label(detections: Sequence, labels: Sequence[StreamLabel]) -> dict[str, dict]:
    """Per label: its words, and how many of them had a detection of each class in their accept window."""
    out: dict[str, dict] = {}
    times = np.array([d.time_ms / 1000.0 for d in detections], np.float64)
    order = np.argsort(times, kind="stable")
    times = times[order]
    for item in labels:
        entry = out.setdefault(item.label, {"words": 0, "detected_as": {}})
        entry["words"] += 1
        lo = np.searchsorted(times, item.start_s, side="left")
        hi = np.searchsorted(times, item.end_s + ACCEPT_S, side="right")
        for name in sorted({detections[k].label for k in order[lo:hi].tolist()}):
            entry["detected_as"][name] = entry["detected_as"].get(name, 0) + 1
    return dict(sorted(out.items()))


def det_curve(scores_u8: np.ndarray, times_ms: np.ndarray, settings, labels: Sequence[StreamLabel],
              classes: Sequence[str], *, duration_s: float, thresholds: Sequence[int] = range(256)) -> list[dict]:  # fmt: skip
    """One point per threshold t (every keyword at t): overall and per-keyword false-reject rate and false
    accepts per hour, from the recognizer re-run on the same scores.

    ``settings``: the model's ``RecognizerSettings`` (window, count, suppression kept; thresholds replaced).
    """
    from harken.streaming.recognizer import average_scores, detect

    averages, valid = average_scores(scores_u8, times_ms, settings)  # thresholds do not change them
    points = []
    for t in thresholds:
        swept = dataclasses.replace(settings, detection_threshold=int(t),
                                    detection_threshold_list=(int(t),) * len(classes))  # fmt: skip
        detections = detect(averages, valid, times_ms, swept, classes)
        score = score_detections(detections, labels, classes, duration_s=duration_s)
        points.append({
            "threshold": int(t), "false_reject_rate": score.overall_false_reject_rate,
            "false_accepts_per_hour": score.false_accepts_per_hour,
            "keywords": {k: {"false_reject_rate": score.false_reject_rate[k],
                             "false_accepts_per_hour": score.keyword_false_accepts_per_hour[k]} for k in score.keywords},
        })  # fmt: skip
    return points
