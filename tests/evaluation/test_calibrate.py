"""Threshold calibration on constructed scores: the smallest threshold that meets the target."""

from __future__ import annotations

import numpy as np
import pytest

from harken.evaluation.calibrate import choose_thresholds
from harken.errors import DatasetError, SettingsError

CLASSES = ["on", "off", "_unknown_"]


def _case():
    # 10 non-keyword clips: "on" is their top class at scores 100..190 for 4 clips, "off" at 250 for one.
    non_kw = [[100, 50, 30], [130, 20, 80], [160, 10, 60], [190, 40, 20], [5, 250, 0]] + [[10, 20, 200]] * 5
    kw = [[240, 5, 5], [180, 10, 60], [120, 30, 90], [20, 255, 0], [30, 200, 20]]
    scores = np.array(non_kw + kw, np.uint8)
    labels = ["_unknown_"] * 5 + ["_silence_"] * 5 + ["on", "on", "on", "off", "off"]
    return scores, labels


def test_threshold_is_smallest_meeting_the_target():
    scores, labels = _case()
    cal = choose_thresholds(scores, labels, CLASSES, target_false_accept=0.2)
    # on: 2 false accepts allowed of 10 -> keep those at 160 and 190 -> threshold 131 (just above 130)
    assert cal.thresholds[0] == 131
    assert cal.false_accept_rate["on"] == pytest.approx(0.2) and cal.recall["on"] == pytest.approx(2 / 3)
    # off: one false accept (10 %) is within the target -> threshold 0 (every top-class "off" detected)
    assert cal.thresholds[1] == 0 and cal.recall["off"] == 1.0
    assert cal.thresholds[2] == 255 and cal.met == {"on": True, "off": True}
    assert cal.overall_false_accept_rate == pytest.approx(0.3)


def test_zero_target_puts_threshold_above_every_false_accept():
    scores, labels = _case()
    cal = choose_thresholds(scores, labels, CLASSES, target_false_accept=0.0)
    assert cal.thresholds[:2] == [191, 251]
    assert cal.recall == {"on": pytest.approx(1 / 3), "off": 0.5} and cal.overall_false_accept_rate == 0.0


def test_unreachable_target_gives_255_and_says_so():
    scores = np.array([[255, 0], [255, 0], [200, 55]], np.uint8)
    cal = choose_thresholds(scores, ["_unknown_", "on", "on"], ["on", "_unknown_"], target_false_accept=0.0)
    assert cal.thresholds == [255, 255] and cal.met == {"on": False} and cal.false_accept_rate["on"] == 1.0


def test_non_keyword_classes_keep_their_previous_threshold():
    scores, labels = _case()
    cal = choose_thresholds(scores, labels, CLASSES, target_false_accept=0.2, previous=[242, 242, 200])
    assert cal.thresholds[2] == 200 and cal.previous_thresholds == [242, 242, 200]


def test_calibration_needs_non_keyword_clips():
    with pytest.raises(DatasetError, match="non-keyword clips"):
        choose_thresholds(np.array([[200, 0]], np.uint8), ["on"], ["on", "_unknown_"])


def test_target_outside_zero_one_is_refused():
    scores, labels = _case()
    with pytest.raises(SettingsError, match="target_false_accept=5"):
        choose_thresholds(scores, labels, CLASSES, target_false_accept=5)


def test_speakers_add_the_ranges_of_the_calibrated_figures():
    scores, labels = _case()
    assert choose_thresholds(scores, labels, CLASSES, target_false_accept=0.2).intervals is None
    speakers = [f"s{i}" for i in range(len(labels))]  # every clip its own speaker
    cal = choose_thresholds(scores, labels, CLASSES, target_false_accept=0.2, speakers=speakers)
    low, high = cal.intervals["false_accept_rate"]
    assert low < cal.overall_false_accept_rate < high and cal.intervals["num_speakers"] == len(labels)
    assert cal.thresholds == choose_thresholds(scores, labels, CLASSES, target_false_accept=0.2).thresholds
