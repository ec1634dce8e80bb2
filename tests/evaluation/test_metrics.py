"""Metrics with answers worked out by hand: confusion matrix, keyword view, ROC-AUC, precision-recall."""

from __future__ import annotations

import numpy as np
import pytest

from harken.evaluation import metrics
from harken.errors import SettingsError


def test_confusion_matrix_counts_pairs():
    m = metrics.confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), num_true=3, num_predicted=3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


def test_confusion_matrix_rejects_out_of_range_index():
    with pytest.raises(SettingsError, match=r"predicted class indices must be in \[0, 2\)"):
        metrics.confusion_matrix(np.array([0]), np.array([2]), num_true=2, num_predicted=2)


def test_recall_and_precision_of_a_non_square_matrix():
    # rows: on, _unknown_ (true only); columns: on, off
    recall, precision = metrics.per_class_recall_precision(np.array([[3, 1], [2, 4]]), ["on", "_unknown_"], ["on", "off"])
    assert recall == {"on": 0.75, "_unknown_": 0.0}
    assert precision == {"on": 0.6, "off": 0.0}


def test_recall_of_a_class_without_clips_is_none():
    recall, precision = metrics.per_class_recall_precision(np.array([[2, 0], [0, 0]]), ["on", "off"], ["on", "off"])
    assert recall["off"] is None and precision["off"] is None


def test_keyword_view_merges_non_keywords_into_reject():
    true = ["on", "on", "off", "_unknown_", "_unknown_", "_silence_"]
    pred = ["on", "reject", "on", "_silence_", "off", "_unknown_"]
    recall, balanced, far, num_fa = metrics.keyword_view(true, pred)
    assert recall == {"off": 0.0, "on": 0.5, "reject": 2 / 3}
    assert balanced == pytest.approx((0.0 + 0.5 + 2 / 3) / 3)
    assert (far, num_fa) == (pytest.approx(1 / 3), 1)


def test_keyword_view_without_non_keyword_clips_has_no_false_accept_rate():
    recall, balanced, far, num_fa = metrics.keyword_view(["on", "on"], ["on", "on"])
    assert recall == {"on": 1.0, "reject": None} and balanced == 1.0 and far is None and num_fa == 0


def test_roc_auc_counts_ordered_pairs():
    # positives 0.35, 0.8; negatives 0.1, 0.4: pairs won 3 of 4
    assert metrics.roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool)) == 0.75


def test_roc_auc_counts_ties_as_half():
    assert metrics.roc_auc(np.array([0.5, 0.5, 0.5]), np.array([1, 0, 0], bool)) == 0.5
    assert metrics.roc_auc(np.array([0.9, 0.5, 0.5]), np.array([1, 1, 0], bool)) == 0.75


def test_roc_auc_is_none_with_one_kind_of_clip():
    assert metrics.roc_auc(np.array([0.1, 0.2]), np.array([True, True])) is None


def test_roc_auc_equals_the_area_under_roc_curve():
    rng = np.random.default_rng(3)
    scores = np.round(rng.random(200), 2)  # rounding makes ties
    positive = rng.random(200) < scores
    fpr, tpr, thresholds = metrics.roc_curve(scores, positive)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0) and thresholds[0] == np.inf
    assert metrics.roc_auc(scores, positive) == pytest.approx(np.trapezoid(tpr, fpr))


def test_roc_curve_points_at_each_threshold():
    fpr, tpr, thresholds = metrics.roc_curve(np.array([0.9, 0.6, 0.6, 0.2]), np.array([1, 1, 0, 0], bool))
    assert thresholds.tolist() == [np.inf, 0.9, 0.6, 0.2]
    assert tpr.tolist() == [0.0, 0.5, 1.0, 1.0] and fpr.tolist() == [0.0, 0.0, 0.5, 1.0]


def test_precision_recall_curve_and_average_precision():
    precision, recall, _ = metrics.precision_recall_curve(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1], bool))
    assert precision.tolist() == [1.0, 0.5, pytest.approx(2 / 3)] and recall.tolist() == [0.5, 0.5, 1.0]
    assert metrics.average_precision(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1], bool)) == pytest.approx(5 / 6)
    assert metrics.average_precision(np.array([0.1]), np.array([False])) is None


def test_scores_must_be_finite():
    with pytest.raises(SettingsError, match="finite"):
        metrics.roc_auc(np.array([np.nan, 0.1]), np.array([True, False]))


def test_keyword_view_lists_keywords_in_model_order():
    recall, *_ = metrics.keyword_view(["on", "off", "_unknown_"], ["on", "off", "reject"], order=("on", "off", "_unknown_"))
    assert list(recall) == ["on", "off", "reject"]


def test_bootstrap_keeps_a_speakers_clips_together():
    # speakers a0, a1 say "on" right 10 times each, b0, b1 wrong: resampling speakers, not clips,
    # draws only right (or only wrong) ones about 1 time in 10, so the recall's range is all of [0, 1]
    true = ["on"] * 40 + ["_unknown_"] * 20
    predicted = ["on"] * 20 + ["reject"] * 20 + ["_unknown_"] * 20
    speakers = [f"a{i // 10}" for i in range(20)] + [f"b{i // 10}" for i in range(20)] + [f"c{i // 5}" for i in range(20)]
    ci = metrics.bootstrap_intervals(true, predicted, speakers, num_resamples=400)
    assert ci["recall"]["on"] == [0.0, 1.0]
    assert ci["recall"]["reject"] == [1.0, 1.0] and ci["false_accept_rate"] == [0.0, 0.0]
    assert ci["num_speakers"] == 8 and ci["level"] == 0.95 and ci["num_resamples"] == 400


def test_bootstrap_ranges_hold_the_figures_and_repeat_with_the_seed():
    rng = np.random.default_rng(3)
    speakers = [f"s{i // 6}" for i in range(240)]  # 40 speakers, 6 clips each
    true = [("on", "off", "_unknown_")[i % 3] for i in range(240)]
    predicted = [t if rng.random() < 0.8 else rng.choice(["on", "off", "_unknown_"]) for t in true]
    recall, balanced, far, _ = metrics.keyword_view(true, predicted, order=("on", "off"))
    ci = metrics.bootstrap_intervals(true, predicted, speakers, order=("on", "off"), num_resamples=300, seed=1)
    low, high = ci["balanced_accuracy"]
    assert low < balanced < high and high - low < 0.25
    assert ci["false_accept_rate"][0] < far < ci["false_accept_rate"][1]
    for group in ("on", "off", "reject"):
        assert ci["recall"][group][0] <= recall[group] <= ci["recall"][group][1]
    assert ci == metrics.bootstrap_intervals(true, predicted, speakers, order=("on", "off"), num_resamples=300, seed=1)
    assert ci != metrics.bootstrap_intervals(true, predicted, speakers, order=("on", "off"), num_resamples=300, seed=2)


def test_bootstrap_gives_no_range_for_a_group_most_resamples_miss():
    # one "off" speaker among 30: about a third of the resamples draw no "off" clip at all
    true = ["off"] + ["_unknown_"] * 29
    ci = metrics.bootstrap_intervals(true, true, [f"s{i}" for i in range(30)], num_resamples=200)
    assert ci["recall"]["off"] is None and ci["recall"]["reject"] == [1.0, 1.0]


def test_bootstrap_needs_one_speaker_per_clip():
    with pytest.raises(SettingsError, match="give one of each per clip"):
        metrics.bootstrap_intervals(["on", "on"], ["on", "on"], ["a"])


def test_a_paired_difference_resolves_what_two_separate_ranges_cannot():
    # 30 speakers of 4 "on" clips; speaker quality varies a lot, and the model fixes one clip of
    # the baseline's errors for 12 of the speakers: +0.1 recall; the separate ranges overlap, the
    # paired range excludes 0
    rng = np.random.default_rng(0)
    true, baseline, model, speakers = [], [], [], []
    for s in range(30):
        right = rng.integers(0, 4)  # this speaker's clips the baseline gets right
        answers = ["on"] * right + ["reject"] * (4 - right)
        better = list(answers)
        if s < 12 and right < 4:
            better[right] = "on"
        true += ["on"] * 4 + ["_unknown_"]
        baseline += answers + ["_unknown_"]
        model += better + ["_unknown_"]
        speakers += [f"s{s}"] * 5
    diff = metrics.bootstrap_difference(true, model, baseline, speakers, num_resamples=500)
    gain = metrics.keyword_view(true, model)[0]["on"] - metrics.keyword_view(true, baseline)[0]["on"]
    assert diff["recall"]["on"]["difference"] == pytest.approx(gain) and gain > 0
    assert 0 < diff["recall"]["on"]["range"][0] <= gain <= diff["recall"]["on"]["range"][1]
    alone = [metrics.bootstrap_intervals(true, p, speakers, num_resamples=500)["recall"]["on"] for p in (model, baseline)]
    assert alone[0][0] < alone[1][1]  # the two separate ranges overlap
    assert diff["false_accept_rate"] == {"difference": 0.0, "range": [0.0, 0.0]}
    same = metrics.bootstrap_difference(true, model, model, speakers, num_resamples=100)
    assert same["balanced_accuracy"] == {"difference": 0.0, "range": [0.0, 0.0]}


def test_a_false_accept_difference_has_the_sign_of_more_false_accepts():
    true = ["_unknown_"] * 20 + ["on"] * 20
    baseline = ["_unknown_"] * 20 + ["on"] * 20
    model = ["on"] * 4 + ["_unknown_"] * 16 + ["on"] * 20  # 4 of 20 non-keywords now accepted
    diff = metrics.bootstrap_difference(true, model, baseline, [f"s{i % 10}" for i in range(40)], num_resamples=200)
    assert diff["false_accept_rate"]["difference"] == pytest.approx(0.2)
    assert diff["false_accept_rate"]["range"][0] > 0 and diff["balanced_accuracy"]["difference"] == pytest.approx(-0.1)
