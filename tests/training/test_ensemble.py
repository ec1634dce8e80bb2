"""Ensembles: a spec trained with several seeds, merged into one model (``training.ensemble_size``)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harken.training.ensemble import MEMBER_FILE, MEMBERS_DIR, member_files, member_spec, member_start, merge_members
from harken.errors import SettingsError
from harken.spec import SpecProblem, TrainingSettings
from tests.training.test_train import tiny_data, tiny_spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@pytest.mark.parametrize("settings, message", [
    ({"ensemble_size": 0}, "use a whole number >= 1"),
    ({"ensemble_size": 2.0}, "use a whole number >= 1"),
    ({"ensemble_size": True}, "use a whole number >= 1"),
])
def test_ensemble_size_is_checked(settings, message):
    with pytest.raises(SpecProblem, match=message):
        TrainingSettings(**settings)
    assert TrainingSettings(ensemble_size=3).ensemble_size == 3  # from scratch is fine: each seed its own model


def test_a_dry_run_trains_an_ensemble_of_two_at_most():
    assert tiny_spec(name="many", ensemble_size=5).for_dry_run().training.ensemble_size == 2
    assert tiny_spec(name="plain").for_dry_run().training.ensemble_size == 1


def test_member_specs_differ_only_in_seed():
    spec = tiny_spec(name="many", ensemble_size=3)
    spec.seed = 7
    member = member_spec(spec, 2)
    assert member.seed == 9 and member.training.ensemble_size == 1 and member.name == "many"
    assert spec.seed == 7 and spec.training.ensemble_size == 3  # the spec itself is left alone


@pytest.mark.slow
def test_merged_members_average_their_probabilities_and_survive_saving(tmp_path):
    import keras

    from harken.models.keras_file import load_keras_model
    from harken.training.build import build_model_for_spec

    spec = tiny_spec()
    members = [build_model_for_spec(spec, seed=s) for s in (0, 1, 2)]
    merged = merge_members(members, name="merged")
    x = tiny_data(spec).validation[0]
    expected = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(merged.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    merged.save(tmp_path / "merged.keras")
    again = load_keras_model(tmp_path / "merged.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), merged.predict(x, verbose=0))
    five_classes = keras.Sequential([keras.Input(spec.input_shape), keras.layers.Flatten(), keras.layers.Dense(5)])
    with pytest.raises(ValueError, match="differ in input shape or number of classes"):
        merge_members([members[0], five_classes])


@pytest.mark.slow
def test_each_member_starts_from_the_same_member_of_an_ensemble_base(tmp_path):
    single = tmp_path / "single" / "base.keras"
    single.parent.mkdir()
    single.write_bytes(b"k")
    assert [member_start(single, i, "x") for i in range(3)] == [single] * 3
    assert member_start(None, 1, "x") is None
    base = tmp_path / "ensemble" / "base.keras"
    for i in (1, 2):
        (base.parent / MEMBERS_DIR / str(i)).mkdir(parents=True)
        (base.parent / MEMBERS_DIR / str(i) / MEMBER_FILE).write_bytes(b"k")
    assert member_files(base.parent) == [base.parent / MEMBERS_DIR / str(i) / MEMBER_FILE for i in (1, 2)]
    assert member_start(base, 1, "x") == base.parent / MEMBERS_DIR / "2" / MEMBER_FILE
    with pytest.raises(SettingsError, match="is an ensemble of 2; member 3 needs its own start"):
        member_start(base, 2, "tuned")


def _member_data(calls):
    """A stand-in for build_training_data: tiny data drawn from the member's seed (recorded in ``calls``)."""

    def build(spec, **_):
        calls.append(spec.seed)
        data = tiny_data(spec, seed=spec.seed)
        data.train.reseed(spec.seed)
        return data

    return build


@pytest.mark.slow
def test_an_ensemble_is_its_seeds_trained_alone_merged_and_resumes_without_training_again(tmp_path, monkeypatch):
    import harken.pipeline.data
    from harken.models.keras_file import load_keras_model
    from harken.training.build import build_model_for_spec
    from harken.training.fit import fit
    from harken.training.job import train

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    calls: list[int] = []
    monkeypatch.setattr(harken.pipeline.data, "build_training_data", _member_data(calls))
    spec = tiny_spec(name="many", epochs=2, ensemble_size=3, checkpoint_monitor=None)
    spec.seed = 4
    first = tiny_data(spec, seed=4)
    first.train.reseed(4)
    result = train(spec, data=first, write_archive=False)
    assert calls == [5, 6]  # members 2 and 3 made their own data from their seeds
    assert len(result.fit.branches) == 3 and result.validation["ensemble_size"] == 3
    assert result.quantization.tflite_path.is_file()

    alone = tiny_spec(name="alone", epochs=2, checkpoint_monitor=None)  # seed 5 trained on its own
    alone.seed = 5
    model = build_model_for_spec(alone)
    fit(alone, _member_data([])(alone), model=model)
    second = load_keras_model(spec.work_dir() / MEMBERS_DIR / "2" / MEMBER_FILE)
    for a, b in zip(second.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)

    merged = load_keras_model(result.keras_path)
    x = first.validation[0]
    members = [load_keras_model(p) for p in member_files(spec.work_dir())]
    np.testing.assert_allclose(merged.predict(x, verbose=0), np.mean([m.predict(x, verbose=0) for m in members], axis=0),
                               rtol=1e-5, atol=1e-6)
    assert list(json.loads((spec.work_dir() / "history.json").read_text())) == ["member 1", "member 2", "member 3"]

    calls.clear()
    again = train(spec, data=first, resume=True, write_archive=False)
    assert calls == [] and again.fit.epochs_done == 0  # every member was finished: loaded, not trained
    assert list(json.loads((spec.work_dir() / "history.json").read_text())) == ["member 1", "member 2", "member 3"]
    np.testing.assert_array_equal(load_keras_model(again.keras_path).predict(x, verbose=0), merged.predict(x, verbose=0))


@pytest.mark.slow
def test_training_one_model_again_drops_an_earlier_ensembles_members(tmp_path, monkeypatch):
    from harken.training.job import train

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    spec = tiny_spec(name="many", epochs=1)
    stale = spec.work_dir() / MEMBERS_DIR / "1" / MEMBER_FILE
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"an old member")
    train(spec, data=tiny_data(spec), write_archive=False)
    assert not stale.exists() and member_files(spec.work_dir()) == []


@pytest.mark.slow
def test_one_model_fine_tuning_an_ensemble_starts_from_its_first_member(tmp_path, monkeypatch, caplog):
    from harken.training.build import build_model_for_spec
    from harken.training.job import train

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    spec = tiny_spec(name="base")
    members = [build_model_for_spec(spec, seed=s) for s in (0, 1)]
    base = tmp_path / "base" / "base.keras"
    for i, member in enumerate(members, 1):
        (base.parent / MEMBERS_DIR / str(i)).mkdir(parents=True)
        member.save(base.parent / MEMBERS_DIR / str(i) / MEMBER_FILE)
    merge_members(members).save(base)  # the merged model's weights would not fit one model
    tuned = tiny_spec(name="tuned", epochs=1, initial_weights=str(base))
    with caplog.at_level("WARNING"):
        result = train(tuned, data=tiny_data(tuned), write_archive=False)
    assert result.keras_path.is_file()
    assert "is an ensemble; fine-tuning its first member" in caplog.text


def test_each_member_is_announced_on_stderr_unless_quiet(capsys):
    from harken.training.ensemble import announce

    announce("many: member 2 of 3 (seed 5)", quiet=False)
    assert "many: member 2 of 3 (seed 5)" in capsys.readouterr().err
    announce("many: member 3 of 3 (seed 6)", quiet=True)
    assert capsys.readouterr().err == ""
