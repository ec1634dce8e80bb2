"""Choose a model's whole detection settings on a labelled stream: averaging window, minimum count, suppression, thresholds.

In: the scores of ONE device-loop run over a stream, its labels, the model's recognizer settings, a
false-accepts-per-hour target and a :class:`RecognizerGrid`. Out: a :class:`RecognizerSearch`: for every
grid point (window, count, suppression) the thresholds the stream calibration's rule chooses for the
target (``harken.streaming.calibrate.choose_stream_thresholds``) and the figures they give, and the
chosen point: the lowest overall false-reject rate, ties broken by the lower 90th-percentile delay, then
by the closeness to the model's current settings (``|window| / 1000 ms + |count| + |suppression| / 1000 ms``
of the differences), then by the grid order.

Grid semantics (the firmware recognizer's, ``harken.streaming.recognizer``): window 0 means no averaging,
stored as ``minimum_count`` 0 (the firmware's switch; the stored window is then left as it was, as the
firmware requires one >= 1 and ignores it); a (window, count) pair is skipped when no result of the run
ever has ``count`` results in the window (with a hop of 175 ms a 300 ms window holds 2), so it could
never detect. Suppressions <= 1 ms are refused: there the device loop resets the front end after a
detection, which a re-run of the recognizer on kept scores cannot reproduce.

Speed, with the same result as the linear-scan rule (tests compare them on random scores): averages are
computed once per window and count; whether a detection is a false accept depends only on its own time
and label (``harken.streaming.scoring``), so it is decided once per candidate result, and each of the
rule's (up to 256 per keyword) recognizer runs is only the suppression walk over that keyword's candidate
results above the threshold. The full :class:`StreamScore` is computed once per grid point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harken._util.settings import Settings
from harken.errors import SettingsError
from harken.streaming.calibrate import keyword_share
from harken.streaming.labels import StreamLabel
from harken.streaming.recognizer import MAX_RESULTS, Detection, RecognizerSettings, average_scores
from harken.streaming.scoring import StreamScore, match_detections, score_detections

__all__ = ["GridPoint", "RecognizerGrid", "RecognizerSearch", "search_recognizer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RecognizerGrid(Settings):
    """The recognizer settings tried: every window x count x suppression (window 0: no averaging).

    Examples
    --------
    >>> RecognizerGrid(windows_ms=(0, 300), minimum_counts=(1, 2), suppressions_ms=(700,)).windows_ms
    (0, 300)
    """

    windows_ms: tuple[int, ...] = (0, 200, 300, 500, 750, 1000)
    minimum_counts: tuple[int, ...] = (1, 2, 3)
    suppressions_ms: tuple[int, ...] = (500, 700, 1000, 1500)

    def validate(self) -> None:
        """SettingsError naming the first bad list."""
        limits = {
            "windows_ms": (0, 1_000_000, "0 (no averaging) to 1000000"),
            "minimum_counts": (1, MAX_RESULTS, f"1 to {MAX_RESULTS} (the firmware averages at most {MAX_RESULTS})"),
            "suppressions_ms": (2, 1_000_000, "2 to 1000000 (1 and under reset the front end, which the search "
                                "cannot re-run)"),
        }  # fmt: skip
        for name, (lo, hi, allowed) in limits.items():
            values = getattr(self, name)
            if not isinstance(values, tuple) or not values:
                raise SettingsError(f"RecognizerGrid.{name}={values!r}: give at least one value")
            bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi]
            if bad:
                raise SettingsError(f"RecognizerGrid.{name}: {bad[0]!r} is out of range; give whole numbers {allowed}")


@dataclass(slots=True, kw_only=True)
class GridPoint:
    """One recognizer setting tried (window 0: no averaging), the thresholds chosen for it and their figures."""

    window_ms: int
    minimum_count: int
    suppression_ms: int
    thresholds: list[int]
    score: StreamScore

    def settings(self, current: RecognizerSettings) -> RecognizerSettings:
        """``current`` with this point's window, count, suppression and thresholds."""
        return dataclasses.replace(current, **self.stored(), detection_threshold_list=tuple(self.thresholds))

    def stored(self) -> dict[str, int]:
        """The embedded settings this point changes besides the thresholds (SL_PARAMSv1 keys)."""
        out = {"minimum_count": 0} if self.window_ms == 0 else {
            "average_window_duration_ms": self.window_ms, "minimum_count": self.minimum_count}  # fmt: skip
        return {**out, "suppression_ms": self.suppression_ms}

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return dataclasses.asdict(self)


@dataclass(slots=True, kw_only=True)
class RecognizerSearch:
    """Every grid point tried (grid order), the chosen one, the model's current settings calibrated the same way."""

    classes: list[str]
    target_false_accepts_per_hour: float
    keyword_share_per_hour: float
    one_false_accept_per_hour: float
    previous: dict  # the model's RecognizerSettings as a dict
    current: GridPoint  # the model's own window, count and suppression, thresholds chosen for the target
    points: list[GridPoint]
    chosen: int  # index into points
    skipped: list[dict]  # {"window_ms", "minimum_count", "reason"}
    hop_ms: int | None = None  # the device loop's period the scores came from (the settings are for it)

    @property
    def best(self) -> GridPoint:
        """The chosen grid point."""
        return self.points[self.chosen]

    def ranked(self) -> list[GridPoint]:
        """The points best first (the search's order)."""
        return [self.points[i] for i in _ranking(self.points, self.previous)]

    def to_dict(self) -> dict:
        """Plain JSON types."""
        return {"classes": self.classes, "target_false_accepts_per_hour": self.target_false_accepts_per_hour,
                "keyword_share_per_hour": self.keyword_share_per_hour,
                "one_false_accept_per_hour": self.one_false_accept_per_hour, "previous": self.previous,
                "current": self.current.to_dict(), "chosen": self.best.to_dict(),
                "points": [p.to_dict() for p in self.points], "skipped": self.skipped, "hop_ms": self.hop_ms}  # fmt: skip


@dataclass(slots=True)
class _Candidates:
    """The results whose top class is a keyword (in time order): what any threshold can turn into a detection."""

    index: np.ndarray  # result index
    times: list[int]
    classes: list[int]
    scores: list[int]
    false_accept: list[bool]  # a detection there would be a false accept (depends on its time and label only)


def _candidates(averages: np.ndarray, valid: np.ndarray, times_ms: np.ndarray, labels: Sequence[StreamLabel],
                classes: Sequence[str]) -> _Candidates:  # fmt: skip
    keyword = np.array([not c.startswith("_") for c in classes], dtype=bool)
    top = np.argmax(averages, axis=1)
    score = averages[np.arange(len(top)), top]
    index = np.flatnonzero(valid & keyword[top])
    times = np.asarray(times_ms, dtype=np.int64)[index].tolist()
    tops = top[index].tolist()
    fake = [Detection(t, c, classes[c], 0) for t, c in zip(times, tops)]
    kinds = [o.kind == "false_accept" for o in match_detections(fake, labels)]
    return _Candidates(index, times, tops, score[index].tolist(), kinds)


def _walk(cand: _Candidates, thresholds: Sequence[int], suppression_ms: int) -> list[int]:
    """``harken.streaming.recognizer.detect``'s suppression walk over the candidates: positions of the detections."""
    kept: list[int] = []
    previous_top, previous_time = 0, 0
    for j, (t, c, s) in enumerate(zip(cand.times, cand.classes, cand.scores)):
        if s <= thresholds[c]:
            continue
        if c == previous_top and t - previous_time <= suppression_ms:
            continue
        previous_top, previous_time = c, t
        kept.append(j)
    return kept


def _false_accepts(cand: _Candidates, kept: list[int], k: int) -> int:
    return sum(1 for j in kept if cand.classes[j] == k and cand.false_accept[j])


def _thresholds_for_target(cand: _Candidates, suppression_ms: int, classes: Sequence[str], previous: Sequence[int],
                          *, has_list: bool, hours: float, share: float) -> list[int]:  # fmt: skip
    """The thresholds ``choose_stream_thresholds``' rule gives (same loops, each recognizer run a candidate walk)."""
    keywords = [i for i, c in enumerate(classes) if not c.startswith("_")]
    chosen = [255 if i in keywords or not has_list else int(previous[i]) for i in range(len(classes))]
    for k in keywords:
        mine = [j for j, c in enumerate(cand.classes) if c == k]
        sub = _Candidates(cand.index[mine], [cand.times[j] for j in mine], [k] * len(mine),
                          [cand.scores[j] for j in mine], [cand.false_accept[j] for j in mine])  # fmt: skip
        alone = [255] * len(classes)
        for t in range(256):
            alone[k] = t
            if _false_accepts(sub, _walk(sub, alone, suppression_ms), k) / hours <= share:
                chosen[k] = t
                break
    while True:
        kept = _walk(cand, chosen, suppression_ms)
        over = [k for k in keywords if _false_accepts(cand, kept, k) / hours > share and chosen[k] < 255]
        if not over:
            return chosen
        for k in over:
            chosen[k] += 1


def _point(averaged, times_ms, settings: RecognizerSettings, labels, classes, *, window_ms: int, duration_s: float,
           share: float) -> GridPoint | None:  # fmt: skip
    """One grid point (``settings`` already carries its window, count and suppression); None if it never detects."""
    averages, valid = averaged
    if not valid.any():
        return None
    cand = _candidates(averages, valid, times_ms, labels, classes)
    previous = settings.thresholds(len(classes)).tolist()
    thresholds = _thresholds_for_target(cand, settings.suppression_ms, classes, previous,
                                       has_list=settings.detection_threshold_list is not None,
                                       hours=duration_s / 3600.0, share=share)  # fmt: skip
    kept = _walk(cand, thresholds, settings.suppression_ms)
    detections = [Detection(cand.times[j], cand.classes[j], classes[cand.classes[j]], int(cand.scores[j])) for j in kept]
    return GridPoint(window_ms=window_ms, minimum_count=settings.minimum_count, suppression_ms=settings.suppression_ms,
                     thresholds=thresholds, score=score_detections(detections, labels, classes, duration_s=duration_s))  # fmt: skip


def _distance(point: GridPoint, previous: dict) -> float:
    window = 0 if previous["minimum_count"] == 0 else previous["average_window_duration_ms"]
    return (abs(point.window_ms - window) / 1000.0 + abs(point.minimum_count - previous["minimum_count"])
            + abs(point.suppression_ms - previous["suppression_ms"]) / 1000.0)  # fmt: skip


def _ranking(points: Sequence[GridPoint], previous: dict) -> list[int]:
    """Point indices best first: lowest overall false rejects, then lower p90 delay, then nearest the model's."""

    def key(i: int) -> tuple:
        s = points[i].score
        frr = 1.0 if s.overall_false_reject_rate is None else s.overall_false_reject_rate
        p90 = float("inf") if s.delay_s["p90"] is None else s.delay_s["p90"]
        return frr, p90, _distance(points[i], previous), i

    return sorted(range(len(points)), key=key)


def search_recognizer(
    scores_u8: np.ndarray,
    times_ms: np.ndarray,
    settings: RecognizerSettings,
    labels: Sequence[StreamLabel],
    classes: Sequence[str],
    *,
    duration_s: float,
    target_false_accepts_per_hour: float = 0.5,
    grid: RecognizerGrid | None = None,
) -> RecognizerSearch:
    """Try every grid point on one run's scores; thresholds per point by the stream rule; pick the best (module doc)."""
    grid = grid or RecognizerGrid()
    classes = list(classes)
    settings.check_classes(len(classes))
    target = target_false_accepts_per_hour
    _, share = keyword_share(classes, target)
    previous = settings.to_dict()
    run = lambda s, w, averaged: _point(averaged, times_ms, s, labels, classes, window_ms=w,  # noqa: E731
                                        duration_s=duration_s, share=share)  # fmt: skip
    points, skipped = [], []
    for window in grid.windows_ms:
        for count in (0,) if window == 0 else grid.minimum_counts:
            averaging = dataclasses.replace(settings, minimum_count=count, **(
                {} if window == 0 else {"average_window_duration_ms": window}))  # fmt: skip
            averaged = average_scores(scores_u8, times_ms, averaging)
            for suppression in grid.suppressions_ms:
                point = run(dataclasses.replace(averaging, suppression_ms=suppression), window, averaged)
                if point is None:
                    skipped.append({"window_ms": window, "minimum_count": count,
                                    "reason": f"no result ever has {count} results within {window} ms"})  # fmt: skip
                    break
                points.append(point)
    if not points:
        raise SettingsError(f"RecognizerGrid {grid.to_dict()}: no grid point can detect on this run (every count "
                            "is more results than its window ever holds); give longer windows or smaller counts")  # fmt: skip
    own_window = 0 if settings.minimum_count == 0 else settings.average_window_duration_ms
    current = run(settings, own_window, average_scores(scores_u8, times_ms, settings))
    if current is None:  # the model's own count is never met: it never detects, at any threshold
        current = GridPoint(window_ms=own_window, minimum_count=settings.minimum_count,
                            suppression_ms=settings.suppression_ms, thresholds=settings.thresholds(len(classes)).tolist(),
                            score=score_detections([], labels, classes, duration_s=duration_s))  # fmt: skip
    return RecognizerSearch(
        classes=classes, target_false_accepts_per_hour=float(target), keyword_share_per_hour=float(share),
        one_false_accept_per_hour=float(1.0 / (duration_s / 3600.0)), previous=previous, current=current, points=points,
        chosen=_ranking(points, previous)[0], skipped=skipped,
    )  # fmt: skip
