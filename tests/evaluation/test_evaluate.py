"""evaluate_scores on constructed scores whose figures are known; label mapping; firmware score rules."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harken.errors import ModelFileError, SettingsError
from harken.evaluation.scoring import (
    ScoredClips,
    compare_scores,
    detect,
    evaluate_scores,
    map_label,
    resolve_model,
    save_evaluation,
)
from harken.runtime.clip_model import detection_thresholds, output_to_scores

CLASSES = ("on", "off", "_unknown_")


def _scored(labels, scores_u8, classes=CLASSES):
    scores = np.array(scores_u8, dtype=np.uint8)
    return ScoredClips(
        classes=tuple(classes), paths=tuple(f"{label}/{i}.wav" for i, label in enumerate(labels)),
        labels=tuple(labels), true_labels=tuple(map_label(label, classes) for label in labels),
        probabilities=scores.astype(np.float32) / 256, scores=scores,
    )


# on, on, on, off, off, yes (-> _unknown_), _silence_ (-> _unknown_), _unknown_
LABELS = ["on", "on", "on", "off", "off", "yes", "_silence_", "_unknown_"]
SCORES = [
    [250, 3, 2],    # on  -> on
    [150, 100, 5],  # on  -> on (below a 200 threshold)
    [10, 200, 45],  # on  -> off
    [5, 240, 10],   # off -> off
    [30, 20, 205],  # off -> _unknown_
    [220, 10, 25],  # yes -> on: a false accept
    [0, 5, 250],    # _silence_ -> _unknown_
    [40, 180, 35],  # _unknown_ -> off: a false accept (below a 200 threshold)
]


def test_dataset_classes_the_model_lacks_count_as_unknown():
    assert [map_label(c, CLASSES) for c in ("on", "yes", "_silence_", "_unknown_")] == ["on", "_unknown_", "_unknown_", "_unknown_"]
    assert map_label("_silence_", ("on", "_unknown_", "_silence_")) == "_silence_"


def test_confusion_matrix_and_accuracy_of_known_scores():
    ev = evaluate_scores(_scored(LABELS, SCORES))
    assert ev.confusion_matrix == {"true": list(CLASSES), "predicted": list(CLASSES),
                                   "counts": [[2, 1, 0], [0, 1, 1], [1, 1, 1]]}
    assert ev.accuracy == pytest.approx(4 / 8)
    assert ev.class_recall == {"on": pytest.approx(2 / 3), "off": 0.5, "_unknown_": pytest.approx(1 / 3)}
    assert ev.class_precision == {"on": pytest.approx(2 / 3), "off": pytest.approx(1 / 3), "_unknown_": 0.5}
    assert ev.clip_counts == {"_silence_": 1, "_unknown_": 1, "off": 2, "on": 3, "yes": 1}


def test_balanced_accuracy_is_mean_recall_of_keywords_and_reject():
    ev = evaluate_scores(_scored(LABELS, SCORES))
    assert ev.keyword_recall == {"off": 0.5, "on": pytest.approx(2 / 3), "reject": pytest.approx(1 / 3)}
    assert ev.balanced_accuracy == pytest.approx((0.5 + 2 / 3 + 1 / 3) / 3)
    assert (ev.num_false_accepts, ev.false_accept_rate) == (2, pytest.approx(2 / 3))
    assert ev.false_accepts_by_label == {"yes": 1, "_unknown_": 1}


def test_roc_auc_per_class_of_known_scores():
    ev = evaluate_scores(_scored(LABELS, SCORES))
    # "on" positives score 250, 150, 10; negatives 3 of 5 below 10, 220 above 150 and 10, 40 between
    # wins: 250 beats 5, 150 beats 4 (not 220), 10 beats 2 (5, 0) -> 11 of 15
    assert ev.roc_auc["on"] == pytest.approx(11 / 15)
    assert ev.average_roc_auc == pytest.approx(np.mean(list(ev.roc_auc.values())))


def test_thresholds_reject_low_scores_and_count_false_accepts():
    ev = evaluate_scores(_scored(LABELS, SCORES), thresholds=[200, 200, 255])
    d = ev.detection
    # detected: on, reject, off, off, reject, on (yes), reject, reject
    assert d["keyword_recall"] == {"on": pytest.approx(1 / 3), "off": 0.5, "reject": pytest.approx(2 / 3)}
    assert (d["num_false_accepts"], d["false_accept_rate"]) == (1, pytest.approx(1 / 3))
    assert d["accuracy"] == pytest.approx(4 / 8)
    assert d["confusion_matrix"]["counts"] == [[1, 1, 1], [0, 1, 1], [1, 0, 2]]
    assert d["thresholds"] == {"on": 200, "off": 200, "_unknown_": 255}


def test_detect_compares_the_top_score_with_its_own_threshold():
    scores = np.array([[200, 100], [150, 100], [90, 160]], np.uint8)
    assert detect(scores, ("on", "_unknown_"), [200, 255]) == ["on", "reject", "reject"]


def test_silence_without_a_silence_class_is_a_reject_clip():
    ev = evaluate_scores(_scored(["on", "_silence_"], [[200, 50], [60, 190]], classes=("on", "_unknown_")))
    assert ev.confusion_matrix["counts"] == [[1, 0], [0, 1]]
    assert ev.keyword_recall == {"on": 1.0, "reject": 1.0} and ev.num_false_accepts == 0


def test_unknown_clips_for_a_model_without_unknown_class_get_their_own_row():
    ev = evaluate_scores(_scored(["on", "off", "yes"], [[200, 50], [60, 190], [20, 230]], classes=("on", "off")))
    assert ev.confusion_matrix["true"] == ["on", "off", "_unknown_"]
    assert ev.confusion_matrix["counts"] == [[1, 0], [0, 1], [0, 1]]
    assert ev.class_recall["_unknown_"] == 0.0 and ev.num_false_accepts == 1


def test_wrong_number_of_thresholds_is_refused():
    with pytest.raises(SettingsError, match="2 thresholds for 3 classes"):
        evaluate_scores(_scored(LABELS, SCORES), thresholds=[1, 2])


def test_int8_output_score_is_q_plus_128():
    q = np.array([[-128, 0, 127]], np.int8)
    p, s = output_to_scores(q, dtype=np.int8, scale=1 / 256, zero_point=-128)
    assert s.tolist() == [[0, 128, 255]] and p.tolist() == [[0.0, 0.5, 255 / 256]]


def test_float_output_score_matches_int8_rule():
    p = np.array([[0.0, 0.5, 255 / 256, 1.0]], np.float32)
    assert output_to_scores(p, dtype=np.float32, scale=0.0, zero_point=0)[1].tolist() == [[0, 128, 255, 255]]


def test_thresholds_come_from_the_list_or_the_single_value():
    assert detection_thresholds({"detection_threshold_list": [242, 242, 255]}, CLASSES, source="m") == [242, 242, 255]
    assert detection_thresholds({"detection_threshold": 160}, CLASSES, source="m") == [160, 160, 160]
    assert detection_thresholds({}, CLASSES, source="m") is None
    with pytest.raises(SettingsError, match="detection_threshold_list has 2 values for 3 classes"):
        detection_thresholds({"detection_threshold_list": [1, 2]}, CLASSES, source="m")


def test_results_json_and_predictions_csv_are_written(tmp_path):
    scored = _scored(LABELS, SCORES)
    ev = evaluate_scores(scored, thresholds=[200, 200, 255])
    written = save_evaluation(ev, scored, tmp_path, plots=True)
    data = json.loads((tmp_path / "eval-results.json").read_text())
    assert data["balanced_accuracy"] == pytest.approx(ev.balanced_accuracy) and data["detection"]["thresholds"]["on"] == 200
    lines = (tmp_path / "eval-predictions.csv").read_text().splitlines()
    assert lines[0] == "path,label,true,predicted,score_on,score_off,score__unknown_" and len(lines) == 9
    assert {p.name for p in written} >= {"eval-confusion.png", "eval-roc.png", "eval-precision-recall.png", "eval-scores.png"}
    assert all(p.stat().st_size > 1000 for p in written if p.suffix == ".png")


def test_model_name_without_spec_module_says_what_to_do(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "harken.spec.loader", None)  # import fails as if the module were missing
    with pytest.raises(ModelFileError, match="needs the spec module"):
        resolve_model("no_such_model_name")


def test_intervals_come_with_speakers_and_hold_the_figures():
    scored = _scored(LABELS * 5, SCORES * 5)
    assert evaluate_scores(scored).intervals is None  # no speakers given: no ranges
    scored.speakers = tuple(f"s{i % 13}" for i in range(len(LABELS) * 5))
    ev = evaluate_scores(scored, thresholds=[200, 200, 255])
    low, high = ev.intervals["balanced_accuracy"]
    assert low <= ev.balanced_accuracy <= high and ev.intervals["num_speakers"] == 13
    d = ev.detection
    assert d["intervals"]["false_accept_rate"][0] <= d["false_accept_rate"] <= d["intervals"]["false_accept_rate"][1]
    assert json.loads(json.dumps(ev.to_dict()))["intervals"]["recall"]["on"] == ev.intervals["recall"]["on"]


def test_a_baseline_on_the_same_clips_gives_paired_differences():
    scored = _scored(LABELS * 5, SCORES * 5)
    scored.speakers = tuple(f"s{i % 13}" for i in range(len(LABELS) * 5))
    worse = [[250, 3, 2]] * len(LABELS)  # the baseline says "on" to everything
    baseline = _scored(LABELS * 5, worse * 5)
    b = compare_scores(scored, baseline, baseline_name="all_on.tflite")
    ev, base_ev = evaluate_scores(scored), evaluate_scores(baseline)
    assert b["model"] == "all_on.tflite" and b["num_speakers"] == 13
    assert b["balanced_accuracy"]["difference"] == pytest.approx(ev.balanced_accuracy - base_ev.balanced_accuracy)
    assert b["false_accept_rate"]["difference"] == pytest.approx(ev.false_accept_rate - base_ev.false_accept_rate)
    assert b["false_accept_rate"]["difference"] < 0
    assert b["false_accept_rate"]["range"][1] < 0  # 2 of 3 non-keywords accepted against all: resolved
    with pytest.raises(SettingsError, match="scored on other clips"):
        compare_scores(scored, _scored(LABELS, SCORES))
    with pytest.raises(SettingsError, match="differ from the model's"):
        compare_scores(scored, _scored(LABELS * 5, SCORES * 5, classes=("on", "off", "_silence_")))
