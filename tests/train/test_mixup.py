"""Mixup and label smoothing: blended samples and targets, seeded draws, settings, training on them."""

from __future__ import annotations

import numpy as np
import pytest

from harken.mixup import soft_batch
from harken.spec.model_spec import SpecProblem, TrainingSettings
from harken.train.job import _training_input, fit
from tests.train.test_distill import _predictions
from tests.train.test_train import TinyBatches, tiny_data, tiny_spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def test_mixup_blends_each_sample_its_target_and_its_weight_alike():
    labels = np.array([0, 1, 2, 2, 1, 0, 0, 2])
    x = np.eye(3, dtype=np.float32)[labels] * 10.0  # a sample is 10 x its one-hot label
    class_weight = np.array([1.0, 2.0, 4.0], np.float32)
    mixed, targets, weights = soft_batch(x, labels, 3, rng=np.random.default_rng(3), mixup_alpha=0.4,
                                         sample_weights=class_weight[labels])
    np.testing.assert_allclose(mixed, targets * 10.0, atol=1e-5)  # the same blend for input and target
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(weights, targets @ class_weight, atol=1e-5)
    assert np.any((targets > 0.01) & (targets < 0.99))  # some samples really are blends


def test_mixup_draws_are_seeded_and_alpha_zero_changes_nothing():
    x = np.random.default_rng(0).normal(size=(6, 4, 2)).astype(np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2])
    first = soft_batch(x, labels, 3, rng=np.random.default_rng([1, 2]), mixup_alpha=0.2)
    again = soft_batch(x, labels, 3, rng=np.random.default_rng([1, 2]), mixup_alpha=0.2)
    other = soft_batch(x, labels, 3, rng=np.random.default_rng([1, 3]), mixup_alpha=0.2)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    plain_x, plain_targets, no_weights = soft_batch(x, labels, 3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(plain_x, x)
    np.testing.assert_array_equal(plain_targets, np.eye(3)[labels])
    assert no_weights is None


def test_label_smoothing_spreads_a_share_evenly():
    _, targets, _ = soft_batch(np.zeros((2, 1)), np.array([1, 0]), 4, rng=np.random.default_rng(0),
                               label_smoothing=0.2)
    np.testing.assert_allclose(targets, [[0.05, 0.85, 0.05, 0.05], [0.85, 0.05, 0.05, 0.05]], atol=1e-6)


def test_soft_batch_rejects_labels_that_do_not_fit():
    with pytest.raises(ValueError, match="in \\[0, 3\\)"):
        soft_batch(np.zeros((2, 1)), np.array([0, 3]), 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="does not match a batch of 2"):
        soft_batch(np.zeros((2, 1)), np.array([0]), 3, rng=np.random.default_rng(0))


@pytest.mark.parametrize("settings, token", [
    ({"mixup_alpha": -0.1}, "mixup_alpha"), ({"mixup_alpha": True}, "mixup_alpha"),
    ({"label_smoothing": 1.0}, "label_smoothing"), ({"label_smoothing": "0.1"}, "label_smoothing"),
    ({"mixup_alpha": 0.2, "teachers": ("t",)}, "mixup_alpha"),
    ({"label_smoothing": 0.1, "focal_gamma": 2.0}, "label_smoothing"),
])
def test_bad_soft_target_settings_are_spec_problems(settings, token):
    with pytest.raises(SpecProblem, match=token):
        TrainingSettings(**settings)


def test_soft_target_settings_survive_to_dict_and_back():
    settings = TrainingSettings(mixup_alpha=0.2, label_smoothing=0.05)
    again = TrainingSettings.from_dict(settings.to_dict())
    assert (again.mixup_alpha, again.label_smoothing) == (0.2, 0.05)


def test_training_input_mixes_each_epoch_afresh_and_the_same_way_again():
    spec = tiny_spec(mixup_alpha=0.3)
    data = tiny_data(spec)

    def epoch_targets(epoch: int) -> np.ndarray:
        batches = TinyBatches(data.train.x, data.train.y, 8)
        batches.set_epoch(epoch)
        dataset, _ = _training_input(batches, spec.input_shape, {0: 1.0, 1: 1.0, 2: 3.0}, spec.training, 3)
        x, targets, weights = next(iter(dataset))
        assert x.shape == (8, *spec.input_shape) and targets.shape == (8, 3) and weights.shape == (8,)
        assert np.any((targets.numpy() > 0.01) & (targets.numpy() < 0.99))  # blends, not one-hot labels
        return targets.numpy()

    np.testing.assert_array_equal(epoch_targets(1), epoch_targets(1))
    assert not np.array_equal(epoch_targets(1), epoch_targets(2))


def test_a_model_trained_with_mixup_and_smoothing_learns_the_labels(tmp_path):
    spec = tiny_spec(epochs=12, learning_rate=0.01, class_weights=None, checkpoint_monitor="val_accuracy",
                     mixup_alpha=0.2, label_smoothing=0.1)
    data = tiny_data(spec)
    result = fit(spec, data, work_dir=tmp_path)
    assert result.epochs_done == 12 and result.best_value > 0.9  # validation accuracy on one-hot labels
    assert np.mean(_predictions(spec, tmp_path, data.validation[0]) == data.validation[1]) > 0.9
