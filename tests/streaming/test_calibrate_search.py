"""The recognizer search on hand-made scores: the same thresholds as the stream rule, the grid, the choice."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from harken.errors import SettingsError
from harken.streaming.calibrate import choose_stream_thresholds
from harken.streaming.labels import StreamLabel
from harken.streaming.recognizer import RecognizerSettings
from harken.streaming.recognizer_search import GridPoint, RecognizerGrid, _ranking, search_recognizer
from harken.streaming.scoring import score_detections

CLASSES = ["on", "off", "_unknown_"]


def _random_stream(seed: int, *, hop_ms: int = 100, seconds: int = 90):
    """Noisy scores with keyword bursts on and off the labelled words, and the words' labels."""
    rng = np.random.default_rng(seed)
    times = np.arange(hop_ms, seconds * 1000, hop_ms, dtype=np.int64)
    scores = rng.integers(0, 120, size=(times.size, 3)).astype(np.int64)
    scores[:, 2] += 100
    words = []
    for start in np.arange(2.0, seconds - 3, 3.0):
        label = CLASSES[int(rng.integers(0, 3))]
        end = start + float(rng.uniform(0.3, 0.9))
        words.append(StreamLabel(float(start), end, label))
        if label != "_unknown_" or rng.random() < 0.5:  # _unknown_ words sometimes sound like a keyword
            k = int(rng.integers(0, 2)) if label == "_unknown_" else CLASSES.index(label)
            inside = (times >= start * 1000) & (times <= end * 1000 + 300)
            scores[inside, k] = rng.integers(120, 256, size=int(inside.sum()))
    spikes = rng.random(times.size) < 0.03  # short false bursts anywhere
    scores[spikes, rng.integers(0, 2, size=int(spikes.sum()))] = rng.integers(150, 256, size=int(spikes.sum()))
    return np.clip(scores, 0, 255).astype(np.uint8), times, words


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("target", [0.0, 80.0, 240.0, 600.0])  # 80/h: one false accept per keyword in 90 s
def test_every_grid_point_has_the_thresholds_and_figures_of_the_linear_scan_rule(seed, target):
    scores, times, words = _random_stream(seed)
    settings = RecognizerSettings(average_window_duration_ms=300, minimum_count=2,
                                  detection_threshold_list=(200, 190, 77) if seed % 2 else None, suppression_ms=700)  # fmt: skip
    grid = RecognizerGrid(windows_ms=(0, 200, 500), minimum_counts=(1, 3), suppressions_ms=(150, 700, 1500))
    found = search_recognizer(scores, times, settings, words, CLASSES, duration_s=90.0,
                              target_false_accepts_per_hour=target, grid=grid)  # fmt: skip
    assert len(found.points) == 15 and not found.skipped  # window 0: one point per suppression
    for point in [*found.points, found.current]:
        averaging = dataclasses.replace(point.settings(settings), detection_threshold_list=settings.detection_threshold_list)
        reference = choose_stream_thresholds(scores, times, averaging, words, CLASSES, duration_s=90.0,
                                             target_false_accepts_per_hour=target)  # fmt: skip
        assert point.thresholds == reference.thresholds, (point.window_ms, point.minimum_count, point.suppression_ms)
        assert point.score == reference.score
    assert found.current.thresholds == choose_stream_thresholds(
        scores, times, settings, words, CLASSES, duration_s=90.0, target_false_accepts_per_hour=target).thresholds


def test_keywords_firing_in_turn_are_raised_as_the_rule_raises_them():
    # on, off, on within 200 ms (test_stream_calibrate): alone each fires once, together 'on' fires twice
    times = np.arange(100, 30000, 50, dtype=np.int64)
    scores = np.zeros((times.size, 3), np.uint8)
    scores[:, 2] = 250
    for when, cls in ((20000, 0), (20050, 1), (20100, 0)):
        scores[times == when, 2], scores[times == when, cls] = 55, 200
    words = [StreamLabel(1.0, 1.5, "on"), StreamLabel(4.0, 4.4, "off")]
    found = search_recognizer(scores, times, RecognizerSettings(minimum_count=0, suppression_ms=700), words, CLASSES,
                              duration_s=3600.0, target_false_accepts_per_hour=2.0,
                              grid=RecognizerGrid(windows_ms=(0,), suppressions_ms=(700,)))  # fmt: skip
    assert found.best.thresholds == [200, 0, 255] and found.best.score.num_false_accepts == {"on": 0, "off": 1}


def _spiky_stream():
    """Words of 'on' lasting 7 hops at 200; single-hop 'on' spikes at 250 off the words (100 ms hop)."""
    times = np.arange(100, 60000, 100, dtype=np.int64)
    scores = np.zeros((times.size, 3), np.uint8)
    scores[:, 2] = 250
    words = [StreamLabel(float(s), s + 0.6, "on") for s in range(2, 58, 4)]
    for word in words:
        inside = (times >= word.start_s * 1000) & (times <= word.end_s * 1000)
        scores[inside, 0], scores[inside, 2] = 200, 55
    for when in range(4000, 58000, 4000):  # 2 s after each word start: far from every word
        scores[times == when, 0], scores[times == when, 2] = 250, 5
    return scores, times, words


def test_averaging_that_hides_single_hop_spikes_is_chosen_over_no_averaging():
    scores, times, words = _spiky_stream()
    grid = RecognizerGrid(windows_ms=(0, 200), minimum_counts=(3,), suppressions_ms=(700,))
    settings = RecognizerSettings(minimum_count=0, suppression_ms=700)
    found = search_recognizer(scores, times, settings, words, CLASSES, duration_s=60.0,
                              target_false_accepts_per_hour=0.0, grid=grid)  # fmt: skip
    none, averaged = found.points
    assert none.thresholds[0] == 250 and none.score.overall_false_reject_rate == 1.0  # only 255 / 250 silence spikes
    assert averaged.score.overall_false_reject_rate == 0.0 and averaged.score.false_accepts_per_hour == 0.0
    assert found.best is averaged and found.ranked()[0] is averaged
    assert found.current.window_ms == 0 and found.current.score.overall_false_reject_rate == 1.0
    assert averaged.stored() == {"average_window_duration_ms": 200, "minimum_count": 3, "suppression_ms": 700}
    assert none.stored() == {"minimum_count": 0, "suppression_ms": 700}
    assert none.settings(settings).average_window_duration_ms == settings.average_window_duration_ms


def test_a_count_no_window_can_hold_is_skipped():
    scores, times, words = _spiky_stream()  # 100 ms hop: a 200 ms window holds 3 results, 100 ms 2
    grid = RecognizerGrid(windows_ms=(100, 200), minimum_counts=(2, 3), suppressions_ms=(500, 700))
    found = search_recognizer(scores, times, RecognizerSettings(), words, CLASSES, duration_s=60.0,
                              target_false_accepts_per_hour=0.0, grid=grid)  # fmt: skip
    assert [(p.window_ms, p.minimum_count) for p in found.points] == [(100, 2), (100, 2), (200, 2), (200, 2),
                                                                       (200, 3), (200, 3)]  # fmt: skip
    assert found.skipped == [{"window_ms": 100, "minimum_count": 3, "reason": "no result ever has 3 results within 100 ms"}]
    with pytest.raises(SettingsError, match="no grid point can detect on this run"):
        search_recognizer(scores, times, RecognizerSettings(), words, CLASSES, duration_s=60.0,
                          grid=RecognizerGrid(windows_ms=(100,), minimum_counts=(3,), suppressions_ms=(700,)))  # fmt: skip


def _point(window, count, suppression, frr, p90):
    score = score_detections([], [StreamLabel(1.0, 1.5, "on")], CLASSES, duration_s=60.0)
    score.overall_false_reject_rate, score.delay_s = frr, {"median": p90, "p90": p90, "num": 1}
    return GridPoint(window_ms=window, minimum_count=count, suppression_ms=suppression, thresholds=[0, 0, 255],
                     score=score)  # fmt: skip


def test_the_ranking_is_false_rejects_then_p90_delay_then_nearness_to_the_model():
    previous = RecognizerSettings(average_window_duration_ms=300, minimum_count=2, suppression_ms=700).to_dict()
    points = [_point(1000, 3, 1500, 0.2, 0.1), _point(500, 2, 700, 0.1, 0.4), _point(300, 2, 1000, 0.1, 0.3),
              _point(200, 2, 700, 0.1, 0.3), _point(0, 0, 700, 0.1, None)]  # fmt: skip
    assert _ranking(points, previous) == [3, 2, 1, 4, 0]  # 200/2/700 is 0.1 away, 300/2/1000 0.3; no delay is last


@pytest.mark.parametrize(("field", "values", "message"), [
    ("windows_ms", (-1,), r"windows_ms: -1 is out of range"),
    ("minimum_counts", (0,), r"minimum_counts: 0 is out of range; give whole numbers 1 to 50"),
    ("minimum_counts", (51,), r"minimum_counts: 51 is out of range"),
    ("suppressions_ms", (1,), r"suppressions_ms: 1 is out of range; .*reset the front end"),
    ("suppressions_ms", (), r"suppressions_ms=\(\): give at least one value"),
])  # fmt: skip
def test_bad_grid_values_are_refused(field, values, message):
    with pytest.raises(SettingsError, match=message):
        RecognizerGrid(**{field: values})
