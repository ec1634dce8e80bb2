"""Choosing thresholds on a stream for a false-accepts-per-hour target (scores made by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from harken.errors import SettingsError
from harken.streaming.calibrate import choose_stream_thresholds
from harken.streaming.labels import StreamLabel
from harken.streaming.recognizer import RecognizerSettings
from tests.streaming.streams import scores_with_bumps

CLASSES = ["on", "off", "_unknown_"]
WORDS = [StreamLabel(1.0, 1.5, "on"), StreamLabel(4.0, 4.4, "off"), StreamLabel(7.0, 7.5, "_unknown_"),
         StreamLabel(10.0, 10.6, "on")]  # fmt: skip
TIMES = np.arange(100, 30000, 100, dtype=np.int64)
SETTINGS = RecognizerSettings(minimum_count=0, detection_threshold=160, suppression_ms=700)


def _choose(bumps, target, settings=SETTINGS):
    return choose_stream_thresholds(scores_with_bumps(TIMES, bumps), TIMES, settings, WORDS, CLASSES,
                                    duration_s=3600.0, target_false_accepts_per_hour=target)  # fmt: skip


BUMPS = [(1500, 0, 200), (4500, 1, 240), (10500, 0, 180), (7200, 0, 230), (12000, 0, 140)]


def test_no_false_accept_allowed_gives_the_smallest_threshold_above_every_false_accept():
    cal = _choose(BUMPS, target=1.0)  # 0.5 per hour each: none in this hour
    assert cal.thresholds == [230, 0, 255] and cal.keyword_share_per_hour == 0.5 and cal.keywords == ["on", "off"]
    assert cal.score.num_false_accepts == {"on": 0, "off": 0}
    assert cal.score.false_reject_rate == {"on": 1.0, "off": 0.0}
    assert cal.previous_thresholds == [160, 160, 160] and cal.one_false_accept_per_hour == 1.0


def test_a_larger_target_buys_recall():
    cal = _choose(BUMPS, target=2.0)  # one false accept of each keyword allowed: the weak bump at 12 s stays out
    assert cal.thresholds == [140, 0, 255]
    assert cal.score.num_false_accepts == {"on": 1, "off": 0} and cal.score.false_reject_rate["on"] == 0.0
    assert _choose(BUMPS, target=4.0).thresholds == [0, 0, 255]


def test_non_keyword_classes_keep_their_thresholds_from_a_list():
    settings = RecognizerSettings(minimum_count=0, detection_threshold_list=(100, 100, 77), suppression_ms=700)
    assert _choose(BUMPS, target=1.0, settings=settings).thresholds == [230, 0, 77]


def test_keywords_firing_in_turn_are_raised_until_the_joint_run_meets_the_target():
    # on, off, on within 200 ms: alone each fires once (the second 'on' is suppressed), together 'on' fires twice
    times = np.arange(100, 30000, 50, dtype=np.int64)
    scores = np.zeros((times.size, 3), np.uint8)
    scores[:, 2] = 250
    for when, cls in ((20000, 0), (20050, 1), (20100, 0)):
        scores[times == when, 2], scores[times == when, cls] = 55, 200
    cal = choose_stream_thresholds(scores, times, SETTINGS, WORDS, CLASSES, duration_s=3600.0,
                                   target_false_accepts_per_hour=2.0)  # fmt: skip
    assert cal.thresholds == [200, 0, 255]
    assert cal.score.num_false_accepts == {"on": 0, "off": 1}


def test_a_negative_target_is_rejected():
    with pytest.raises(SettingsError, match="target_false_accepts_per_hour=-1"):
        _choose(BUMPS, target=-1.0)
