"""Scoring detections on a labelled stream: hits, false accepts, per-label counts, delay and the DET sweep."""

from __future__ import annotations

import numpy as np
import pytest

from harken.streaming.labels import StreamLabel
from harken.streaming.recognizer import Detection, RecognizerSettings, recognize
from harken.streaming.scoring import det_curve, match_detections, score_detections
from tests.streaming.streams import scores_with_bumps

CLASSES = ["on", "off", "_unknown_"]
WORDS = [
    StreamLabel(1.0, 1.5, "on", extra={"word": "on"}),
    StreamLabel(4.0, 4.4, "off"),
    StreamLabel(7.0, 7.5, "_unknown_", extra={"word": "bed"}),
    StreamLabel(10.0, 10.6, "on"),
    StreamLabel(13.0, 13.3, "off"),
]


def on(ms: int, score: int = 220) -> Detection:
    return Detection(ms, 0, "on", score)


def off(ms: int, score: int = 220) -> Detection:
    return Detection(ms, 1, "off", score)


def test_the_accept_window_runs_from_the_word_start_to_half_a_second_after_its_end():
    kinds = [o.kind for o in match_detections([on(999), on(1000), on(2000), on(2001)], WORDS)]
    assert kinds == ["false_accept", "hit", "repeat", "late"]


def test_a_detection_more_than_a_second_after_the_word_is_a_false_accept():
    outcomes = match_detections([on(2500), on(2501)], WORDS)
    assert [o.kind for o in outcomes] == ["late", "false_accept"] and outcomes[1].word == -1


def test_a_keyword_detected_on_another_word_is_a_false_accept_on_that_word():
    outcomes = match_detections([on(4200), off(4200), on(7100)], WORDS)
    assert [(o.kind, o.word) for o in outcomes] == [("false_accept", 1), ("hit", 1), ("false_accept", 2)]


def test_score_counts_hits_misses_false_accepts_and_delays():
    detections = [on(1400), on(1600), off(4700), on(7300), off(13700), off(20000)]
    s = score_detections(detections, WORDS, CLASSES, duration_s=1800.0)
    assert s.keywords == ["on", "off"]
    assert s.num_words == {"on": 2, "off": 2} and s.num_detected == {"on": 1, "off": 2}
    assert s.false_reject_rate == {"on": 0.5, "off": 0.0} and s.overall_false_reject_rate == 0.25
    assert s.num_false_accepts == {"on": 1, "off": 1}
    assert s.false_accepts_per_hour == 4.0 and s.keyword_false_accepts_per_hour == {"on": 2.0, "off": 2.0}
    assert s.false_accepts_on == {"_unknown_": 1, "background": 1}
    delays = [-0.1, 0.3, 0.4]  # on at 1.4 (word ends 1.5), off at 4.7 (4.4), off at 13.7 (13.3)
    assert s.delay_s == {"median": pytest.approx(0.3), "p90": pytest.approx(np.quantile(delays, 0.9)), "num": 3}
    assert s.per_label == {"_unknown_": {"words": 1, "detected_as": {"on": 1}},
                           "off": {"words": 2, "detected_as": {"off": 2}},
                           "on": {"words": 2, "detected_as": {"on": 1}}}  # fmt: skip


def test_no_detections_is_every_keyword_missed_and_no_false_accepts():
    s = score_detections([], WORDS, CLASSES, duration_s=60.0)
    assert s.overall_false_reject_rate == 1.0 and s.false_accepts_per_hour == 0.0
    assert s.delay_s == {"median": None, "p90": None, "num": 0}


def test_a_keyword_without_words_has_no_false_reject_rate():
    s = score_detections([], [StreamLabel(1.0, 1.5, "on")], CLASSES, duration_s=60.0)
    assert s.false_reject_rate == {"on": 1.0, "off": None} and s.overall_false_reject_rate == 1.0


def test_det_curve_reruns_the_recognizer_per_threshold():
    times = np.arange(100, 15000, 100, dtype=np.int64)
    scores = scores_with_bumps(times, [(1500, 0, 200), (4500, 1, 240), (10500, 0, 180), (7200, 0, 230), (12000, 0, 140)])
    settings = RecognizerSettings(minimum_count=0, detection_threshold=160, suppression_ms=700)  # latest scores
    points = det_curve(scores, times, settings, WORDS, CLASSES, duration_s=3600.0, thresholds=[0, 150, 190, 210, 250])
    assert [p["threshold"] for p in points] == [0, 150, 190, 210, 250]
    by_t = {p["threshold"]: p for p in points}
    assert by_t[250]["false_reject_rate"] == 1.0 and by_t[250]["false_accepts_per_hour"] == 0.0
    # at 190: on at 1.5 s and off at 4.5 s hit, on at 10.5 s (180) missed, off at 13 s never spoken; on at 7.2 s is a false accept
    assert by_t[190]["keywords"]["on"] == {"false_reject_rate": 0.5, "false_accepts_per_hour": 1.0}
    assert by_t[190]["keywords"]["off"]["false_reject_rate"] == 0.5
    assert by_t[150]["keywords"]["on"]["false_reject_rate"] == 0.0
    assert by_t[0]["false_accepts_per_hour"] == 2.0 and by_t[150]["false_accepts_per_hour"] == 1.0  # the weak bump
    swept = RecognizerSettings(minimum_count=0, detection_threshold_list=(190,) * 3, suppression_ms=700)
    direct = score_detections(recognize(scores, times, swept, CLASSES), WORDS, CLASSES, duration_s=3600.0)
    assert by_t[190]["false_reject_rate"] == direct.overall_false_reject_rate == 0.5
