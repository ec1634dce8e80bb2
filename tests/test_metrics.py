"""Metrics with answers worked out by hand: confusion matrix, keyword view, ROC-AUC, precision-recall."""

from __future__ import annotations

import numpy as np
import pytest

from harken import metrics
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
