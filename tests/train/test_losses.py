"""Focal cross-entropy: plain cross-entropy at gamma 0, easy clips down-weighted, chosen by the spec."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from harken.losses import SparseFocalCrossentropy
from harken.spec.model_spec import SpecProblem, TrainingSettings

LABELS = np.array([0, 1, 2, 1])
PROBS = np.array([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32)


def _per_clip(loss, labels=LABELS, probs=PROBS) -> np.ndarray:
    return np.asarray(loss.call(labels, probs))


def test_gamma_zero_is_sparse_categorical_crossentropy():
    plain = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    np.testing.assert_allclose(_per_clip(SparseFocalCrossentropy(gamma=0.0)), np.asarray(plain(LABELS, PROBS)),
                               rtol=1e-5)


def test_each_clip_is_scaled_by_one_minus_its_true_probability_to_the_gamma():
    p_true = PROBS[np.arange(len(LABELS)), LABELS]
    expected = -((1 - p_true) ** 2) * np.log(p_true)
    got = _per_clip(SparseFocalCrossentropy(gamma=2.0))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # the confident right clip (0.9) loses far more of its weight than the wrong one (true p 0.1)
    assert got[0] / -np.log(0.9) < 0.02 and got[2] / -np.log(0.1) > 0.8


def test_labels_may_come_as_a_column_and_the_loss_round_trips_through_its_config():
    loss = SparseFocalCrossentropy(gamma=1.5)
    np.testing.assert_allclose(_per_clip(loss, LABELS[:, None]), _per_clip(loss), rtol=1e-6)
    again = SparseFocalCrossentropy.from_config(loss.get_config())
    assert again.gamma == 1.5


def test_compile_for_spec_uses_focal_loss_when_the_spec_asks():
    from harken.train.job import compile_for_spec

    class Spec:  # compile_for_spec reads only .training
        def __init__(self, training):
            self.training = training

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    compile_for_spec(model, Spec(TrainingSettings(focal_gamma=2.0)))
    assert isinstance(model.loss, SparseFocalCrossentropy) and model.loss.gamma == 2.0
    compile_for_spec(model, Spec(TrainingSettings()))
    assert model.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize("gamma", [-1.0, 11.0, "2", True])
def test_bad_focal_gamma_is_a_spec_problem(gamma):
    with pytest.raises(SpecProblem, match="focal_gamma"):
        TrainingSettings(focal_gamma=gamma)


def test_focal_gamma_survives_to_dict_and_back():
    settings = TrainingSettings(focal_gamma=2.0)
    assert TrainingSettings.from_dict(settings.to_dict()).focal_gamma == 2.0
