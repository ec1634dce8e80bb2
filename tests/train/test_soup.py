"""Model soups: fine-tunes of one start averaged into one model (``training.soup_size``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harken.soup import average_weights, branch_seed
from harken.spec.model_spec import SpecProblem, TrainingSettings
from tests.train.test_train import tiny_data, tiny_spec, trained_base

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def test_average_weights_is_the_mean_of_floats_and_keeps_the_first_models_integers():
    a = [np.array([1.0, 2.0], np.float32), np.array([5], np.int64)]
    b = [np.array([3.0, 6.0], np.float32), np.array([9], np.int64)]
    mean = average_weights([a, b])
    assert mean[0].dtype == np.float32 and np.array_equal(mean[0], [2.0, 4.0])
    assert np.array_equal(mean[1], [5])
    with pytest.raises(ValueError, match="not the same model"):
        average_weights([a, [np.zeros(3, np.float32), a[1]]])


def test_branch_seeds_start_at_the_specs_own_and_differ():
    assert branch_seed(5, 0) == 5
    seeds = [branch_seed(5, i) for i in range(4)]
    assert len(set(seeds)) == 4 and seeds == [branch_seed(5, i) for i in range(4)]
    assert branch_seed(6, 1) != branch_seed(5, 1)  # seed 5's and seed 6's soups share no branch


@pytest.mark.parametrize("settings, message", [
    ({"soup_size": 0}, "use a whole number >= 1"),
    ({"soup_size": True}, "use a whole number >= 1"),
    ({"soup_size": 3}, "set initial_weights too"),
])
def test_soup_size_is_checked(settings, message):
    with pytest.raises(SpecProblem, match=message):
        TrainingSettings(**settings)
    assert TrainingSettings(soup_size=3, initial_weights="base").soup_size == 3


def test_a_soup_averages_its_fine_tunes_and_resumes_without_training_again(tmp_path, monkeypatch):
    import keras

    from harken.train.job import BEST_WEIGHTS, build_model_for_spec, train

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    trained_base(tmp_path)
    spec = tiny_spec(name="souped", epochs=2, initial_weights=str(tmp_path / "base.keras"), soup_size=3,
                     checkpoint_monitor=None)
    result = train(spec, data=tiny_data(spec), write_archive=False)
    assert len(result.fit.branches) == 3 and result.fit.epochs_done == 6
    members = []
    for i in range(3):
        member = build_model_for_spec(spec)
        member.load_weights(spec.work_dir() / "soup" / str(i + 1) / BEST_WEIGHTS)
        members.append(member.get_weights())
    assert not np.allclose(members[0][0], members[1][0])  # each fine-tune drew its own order
    souped = keras.saving.load_model(result.keras_path, compile=False).get_weights()
    for got, *parts in zip(souped, *members):
        np.testing.assert_allclose(got, np.mean(parts, axis=0), rtol=1e-6, atol=1e-7)
    history = json.loads((spec.work_dir() / "history.json").read_text())
    assert list(history) == ["fine-tune 1", "fine-tune 2", "fine-tune 3"]
    assert (spec.work_dir() / "history.png").is_file()

    again = train(spec, data=tiny_data(spec), resume=True, write_archive=False)
    assert [b.epochs_done for b in again.fit.branches] == [2, 2, 2]
    for a, b in zip(keras.saving.load_model(again.keras_path, compile=False).get_weights(), souped):
        assert np.array_equal(a, b)


def test_a_dry_run_makes_a_soup_of_two_at_most():
    spec = tiny_spec(name="souped", initial_weights="base", soup_size=4)
    assert spec.for_dry_run().training.soup_size == 2
    assert tiny_spec(name="plain").for_dry_run().training.soup_size == 1
