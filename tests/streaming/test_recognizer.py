"""The firmware's command recognizer, rule by rule (issue 27 item 1), on hand-made score sequences.

Each test feeds (time ms, uint8 scores) results and writes out the detections it expects. Labels are
on / off / _unknown_ unless a test says otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest

from harken.errors import SettingsError
from harken.spec import DetectionSettings
from harken.streaming.recognizer import (
    MAX_RESULTS,
    CommandRecognizer,
    Detection,
    RecognizerSettings,
    recognize,
    scores_to_uint8,
)

LABELS = ("on", "off", "_unknown_")


def run(settings: RecognizerSettings, results, labels=LABELS) -> list[tuple[int, str, int]]:
    """(time, label, score) of every detection of an incremental recognizer fed ``results`` [(t, scores)]."""
    recognizer = CommandRecognizer(settings, labels)
    found = [recognizer.process(np.array(s, np.uint8), t) for t, s in results]
    batch = recognize(np.array([s for _, s in results], np.uint8), np.array([t for t, _ in results]), settings, labels)
    incremental = [d for d in found if d is not None]
    assert batch == incremental  # the whole-history function agrees on every hand-made case
    return [(d.time_ms, d.label, d.score) for d in incremental]


def plain(**changes) -> RecognizerSettings:
    """No averaging, threshold 200, no suppression: each result decides alone."""
    values = dict(average_window_duration_ms=1000, minimum_count=0, detection_threshold=200, suppression_ms=0)
    values.update(changes)
    return RecognizerSettings(**values)


def test_int8_scores_are_shifted_by_128():
    assert scores_to_uint8(np.array([-128, -1, 0, 127], np.int8), np.int8).tolist() == [0, 127, 128, 255]


def test_float_scores_are_truncated_after_times_255():
    out = scores_to_uint8(np.array([0.0, 0.3, 0.5, 0.99999, 1.0], np.float32), np.float32)
    assert out.tolist() == [0, 76, 127, 254, 255]  # 76.5 -> 76, 127.5 -> 127: truncation, not rounding


def test_minimum_count_zero_uses_the_latest_scores_alone():
    results = [(100, [250, 0, 0]), (200, [0, 0, 0]), (300, [201, 0, 0])]
    # averaging would give 83 at 200 ms and 150 at 300 ms; without it each result stands alone
    assert run(plain(), results) == [(100, "on", 250), (300, "on", 201)]


def test_averages_over_the_window_with_floor_division():
    settings = plain(minimum_count=2, average_window_duration_ms=1000)
    # averages: (no detection: one result), (201+202)//2 = 201 > 200
    assert run(settings, [(100, [201, 0, 0]), (200, [202, 0, 0])]) == [(200, "on", 201)]
    # (200 + 201) // 2 = 200, not > 200: the floor decides
    assert run(settings, [(100, [200, 0, 0]), (200, [201, 0, 0])]) == []


def test_fewer_than_minimum_count_results_in_the_window_detect_nothing():
    settings = plain(minimum_count=3, average_window_duration_ms=250)
    results = [(0, [255, 0, 0]), (100, [255, 0, 0]), (400, [255, 0, 0]), (500, [255, 0, 0]), (600, [255, 0, 0])]
    # at 400 ms the window [150, 400] holds one result; at 500 two; at 600 three (400, 500, 600)
    assert run(settings, results) == [(600, "on", 255)]


def test_the_result_enters_before_old_ones_leave_and_a_result_at_the_limit_stays():
    settings = plain(minimum_count=2, average_window_duration_ms=300)
    # at 400 ms the limit is 100: the result at 100 ms is not strictly older, so it stays: (255 + 160) // 2
    assert run(settings, [(100, [255, 0, 0]), (400, [160, 0, 0])]) == [(400, "on", 207)]
    # at 401 ms it is strictly older and leaves: one result left, fewer than 2
    assert run(settings, [(100, [255, 0, 0]), (401, [160, 0, 0])]) == []


def test_a_full_queue_drops_the_newest_result():
    settings = plain(minimum_count=1, average_window_duration_ms=100_000)
    results = [(t, [100, 0, 0]) for t in range(MAX_RESULTS)] + [(MAX_RESULTS + t, [255, 0, 0]) for t in range(30)]
    # the 50 results of score 100 fill the queue; the 255s never enter, so the average stays 100
    assert run(settings, results) == []
    # a 60-ms window, results 10 ms apart: never full, so the 255s enter and the old 100s leave:
    # 510 ms: (5*100 + 255)//6 = 125, 520: 151, 530: 177, 540: (2*100 + 4*255)//6 = 203 > 200
    room = plain(minimum_count=1, average_window_duration_ms=60)
    spaced = [(10 * t, [100, 0, 0]) for t in range(MAX_RESULTS)] + [(500 + 10 * t, [255, 0, 0]) for t in range(1, 5)]
    assert run(room, spaced) == [(540, "on", 203)]


def test_the_queue_drops_newest_until_old_results_expire():
    settings = plain(minimum_count=1, average_window_duration_ms=1000)
    results = [(0, [100, 0, 0])] * MAX_RESULTS + [(500, [255, 0, 0]), (1001, [255, 0, 0])]
    # at 500 ms the queue is full: the 255 is dropped (average 100); at 1001 ms it is still full when the
    # 255 arrives (dropped), then the 50 results of 0 ms expire: the queue is empty, fewer than 1 result
    assert run(settings, results) == []
    results = results + [(1002, [255, 0, 0])]
    assert run(settings, results) == [(1002, "on", 255)]  # now there is room


def test_a_tie_goes_to_the_lower_class_index():
    assert run(plain(), [(100, [0, 230, 230])]) == [(100, "off", 230)]


def test_the_threshold_comes_from_the_list_when_present():
    listed = plain(detection_threshold=100, detection_threshold_list=(250, 150, 255))
    assert run(listed, [(100, [240, 0, 0]), (200, [0, 160, 0])]) == [(200, "off", 160)]
    single = plain(detection_threshold=100)
    assert run(single, [(100, [240, 0, 0]), (200, [0, 160, 0])]) == [(100, "on", 240), (200, "off", 160)]


def test_a_detection_needs_a_score_strictly_above_the_threshold():
    assert run(plain(), [(100, [200, 0, 0]), (200, [201, 0, 0])]) == [(200, "on", 201)]


def test_labels_starting_with_underscore_never_fire_nor_reset_suppression():
    settings = plain(suppression_ms=500)
    results = [(1000, [255, 0, 0]), (1200, [0, 0, 255]), (1300, [255, 0, 0]), (1600, [255, 0, 0])]
    # _unknown_ at 1200 ms does not fire and does not change the previous top (on at 1000 ms), so on is
    # still suppressed at 1300 ms (300 <= 500) and fires at 1600 ms (600 > 500)
    assert run(settings, results) == [(1000, "on", 255), (1600, "on", 255)]


def test_suppression_is_per_label():
    settings = plain(suppression_ms=500)
    results = [(1000, [255, 0, 0]), (1100, [0, 255, 0]), (1200, [255, 0, 0]), (1300, [255, 0, 0]),
               (1700, [255, 0, 0]), (1701, [255, 0, 0])]  # fmt: skip
    # off at 1100 ms is another label: it fires and becomes the previous top, so on fires again at 1200;
    # on at 1300 is 100 ms after on: suppressed; at 1700 ms exactly 500 ms: still suppressed (not >); at 1701: fires
    assert run(settings, results) == [(1000, "on", 255), (1100, "off", 255), (1200, "on", 255), (1701, "on", 255)]


def test_only_detections_move_the_suppression_clock():
    settings = plain(suppression_ms=500)
    results = [(1000, [255, 0, 0]), (1400, [150, 0, 0]), (1501, [255, 0, 0])]
    # the below-threshold on at 1400 ms does not restart the clock: 1501 is 501 ms after the detection
    assert run(settings, results) == [(1000, "on", 255), (1501, "on", 255)]


def test_class_zero_cannot_fire_in_the_first_suppression_ms():
    settings = plain(suppression_ms=700)
    results = [(300, [255, 0, 0]), (700, [255, 0, 0]), (701, [255, 0, 0])]
    assert run(settings, results) == [(701, "on", 255)]  # previous top starts as class 0 at 0 ms
    assert run(settings, [(300, [0, 255, 0])]) == [(300, "off", 255)]  # class 1 can


def test_results_out_of_time_order_are_rejected():
    recognizer = CommandRecognizer(plain(), LABELS)
    recognizer.process(np.zeros(3, np.uint8), 100)
    with pytest.raises(SettingsError, match="time order"):
        recognizer.process(np.zeros(3, np.uint8), 99)


def test_reset_forgets_the_queue_and_the_previous_detection():
    recognizer = CommandRecognizer(plain(minimum_count=1, suppression_ms=500), LABELS)
    assert recognizer.process(np.array([0, 255, 0], np.uint8), 100) is not None
    recognizer.reset()
    assert recognizer.process(np.array([0, 255, 0], np.uint8), 100) == Detection(100, 1, "off", 255)


def test_detection_line_is_the_firmwares():
    assert Detection(1530, 1, "off", 231).line() == "Detected class=1 label=off score=231 @1530ms"


def test_settings_from_model_params():
    params = {"average_window_duration_ms": 300, "detection_threshold_list": [242, 242, 255], "suppression_ms": 700,
              "minimum_count": 2, "volume_gain": 0.0, "latency_ms": 10}
    settings = RecognizerSettings.from_params(params, 3, "m.tflite")
    assert settings == RecognizerSettings(average_window_duration_ms=300, minimum_count=2, detection_threshold=160,
                                          detection_threshold_list=(242, 242, 255), suppression_ms=700)


def test_defaults_are_the_specs_detection_defaults():
    spec, ours = DetectionSettings(), RecognizerSettings.from_params({}, 3, "m.tflite")
    assert (ours.average_window_duration_ms, ours.minimum_count, ours.detection_threshold, ours.suppression_ms) == (
        spec.average_window_duration_ms, spec.minimum_count, spec.detection_threshold, spec.suppression_ms)


def test_a_threshold_list_of_the_wrong_length_names_the_model():
    with pytest.raises(SettingsError, match=r"m.tflite: detection_threshold_list has 2 values for 3 classes"):
        RecognizerSettings.from_params({"detection_threshold_list": [1, 2]}, 3, "m.tflite")


@pytest.mark.parametrize("key, value", [("detection_threshold", 256), ("suppression_ms", -1), ("minimum_count", 1.5)])
def test_bad_params_name_the_model_and_key(key, value):
    with pytest.raises(SettingsError, match=rf"m.tflite: .*{key}"):
        RecognizerSettings.from_params({key: value}, 3, "m.tflite")


def test_settings_round_trip():
    settings = RecognizerSettings(average_window_duration_ms=300, detection_threshold_list=(1, 2, 3))
    assert RecognizerSettings.from_dict(settings.to_dict()) == settings


def test_a_threshold_sweep_reuses_the_averages():
    from harken.streaming.recognizer import average_scores, detect

    rng = np.random.default_rng(0)
    scores, times = rng.integers(0, 256, (300, 3)).astype(np.uint8), np.arange(300) * 40
    base = RecognizerSettings(minimum_count=2, average_window_duration_ms=200, suppression_ms=300)
    averages, valid = average_scores(scores, times, base)
    for threshold in (120, 140, 160):
        settings = plain(minimum_count=2, average_window_duration_ms=200, suppression_ms=300,
                         detection_threshold=threshold)  # fmt: skip
        swept = detect(averages, valid, times, settings, LABELS)
        assert swept == recognize(scores, times, settings, LABELS)
    assert len(detect(averages, valid, times, plain(detection_threshold=120), LABELS)) > len(swept) > 0


@pytest.mark.parametrize("window, count, hop", [(300, 2, 150), (300, 2, 300), (300, 2, 301), (300, 2, 505),
                                                 (0, 1, 100), (0, 2, 100), (1000, 3, 400), (1000, 4, 400),
                                                 (300, 0, 505), (5000, 51, 10)])  # fmt: skip
def test_never_detects_at_says_exactly_when_the_recognizer_cannot_fire(window, count, hop):
    settings = plain(average_window_duration_ms=window, minimum_count=count, detection_threshold=100)
    steady = [(hop * (k + 1), [250, 0, 5]) for k in range(60)]  # 'on' far above its threshold every hop
    fires = bool(run(settings, steady))
    problem = settings.never_detects_at(hop)
    assert fires == (problem is None), problem
    if problem:
        assert f"minimum_count {count} is never met" in problem and f"{hop} ms hop" in problem
