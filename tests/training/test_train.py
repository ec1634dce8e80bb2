"""Training: stepped schedule by batches, best checkpoint, history, resume after an interruption, Ctrl-C."""

from __future__ import annotations

import json
from dataclasses import dataclass

import keras
import numpy as np
import pytest

from harken.frontend import FrontendSettings
from harken.spec import EarlyStopping, ModelSettings, ModelSpec, QuantizationSettings, TrainingSettings
from harken.training.fit import fit
from harken.training.job import train
from harken.training.resume import STATE_DIR

pytestmark = [pytest.mark.slow,  # every test here trains a (tiny) model
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")]


class TinyBatches(keras.utils.PyDataset):
    """In-memory batches, reshuffled by (seed, epoch) at each epoch end (the pipeline's contract)."""

    def __init__(self, x, y, batch_size, seed=0):
        super().__init__()
        self.x, self.y, self.batch_size, self.seed, self.epoch = x, y, batch_size, seed, 0
        self.order = np.arange(len(x))

    def __len__(self):
        return len(self.x) // self.batch_size

    def __getitem__(self, i):
        index = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        return self.x[index], self.y[index]

    def set_epoch(self, epoch):
        self.epoch = epoch
        self.order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))

    def on_epoch_end(self):
        self.set_epoch(self.epoch + 1)

    def reseed(self, seed):
        self.seed = seed
        self.set_epoch(0)


@dataclass
class TinyData:
    train: TinyBatches
    validation: tuple
    class_names: list
    class_weights: dict | None


def tiny_spec(name="tiny", **training) -> ModelSpec:
    """A 12 x 8 spectrogram CNN with 3 classes."""
    fe = FrontendSettings(sample_rate_hz=8000, sample_length_ms=250, window_size_ms=30, window_step_ms=20,
                          filterbank_n_channels=8, filterbank_upper_band_limit=3999.0,
                          filterbank_lower_band_limit=100.0)
    settings = {"epochs": 3, "batch_size": 8, **training}
    return ModelSpec(name=name, classes=("on", "off", "_unknown_"), frontend=fe,
                     model=ModelSettings(architecture="cnn", options={"filters": 4}),
                     training=TrainingSettings(**settings),
                     quantization=QuantizationSettings(num_representative_samples=16))


def tiny_data(spec, num_train=48, num_validation=24, seed=0) -> TinyData:
    """Class c lights every 3rd channel starting at c: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    n = num_train + num_validation
    y = (np.arange(n) % spec.num_classes).astype(np.int32)
    x = rng.integers(-128, -60, size=(n, *spec.input_shape)).astype(np.float32)
    for i in range(n):
        x[i, :, y[i]::spec.num_classes] += 180
    x = np.clip(x, -128, 127)
    return TinyData(TinyBatches(x[:num_train], y[:num_train], spec.training.batch_size),
                    (x[num_train:], y[num_train:]), list(spec.classes), {0: 1.0, 1: 1.0, 2: 1.0})


class RecordLearningRate(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_end(self, batch, logs=None):
        self.rates.append(float(np.asarray(self.model.optimizer.learning_rate)))


class InterruptAt(keras.callbacks.Callback):
    """Raise ``error`` in epoch ``epoch`` (0-based) after ``batch`` batches: a crash mid-epoch."""

    def __init__(self, epoch, batch, error):
        super().__init__()
        self.epoch, self.batch, self.error, self.current = epoch, batch, error, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch + 1 == self.batch:
            raise self.error


def test_stepped_schedule_switches_at_the_right_batches_and_stops_after_the_last(tmp_path):
    spec = tiny_spec(epochs=50, lr_steps=((4, 0.01), (3, 0.005), (2, 0.001)))
    record = RecordLearningRate()
    result = fit(spec, tiny_data(spec), work_dir=tmp_path, callbacks=[record])  # 6 batches per epoch
    assert record.rates == pytest.approx([0.01] * 4 + [0.005] * 3 + [0.001] * 2)
    assert result.epochs_done == 2  # the 9th batch is the 3rd of epoch 2: training ends there


def test_epoch_schedule_sets_the_learning_rate_each_epoch(tmp_path):
    spec = tiny_spec(epochs=3, lr_schedule=lambda epoch: 0.01 * 0.5**epoch)
    result = fit(spec, tiny_data(spec), work_dir=tmp_path)
    assert result.history["lr"] == pytest.approx([0.01, 0.005, 0.0025])


def test_best_checkpoint_history_json_and_plot_are_written(tmp_path):
    spec = tiny_spec(epochs=3)
    result = fit(spec, tiny_data(spec), work_dir=tmp_path)
    history = json.loads((tmp_path / "history.json").read_text())
    assert len(history["val_accuracy"]) == 3 and len(history["loss"]) == 3
    assert (tmp_path / "best.weights.h5").is_file() and (tmp_path / "history.png").stat().st_size > 1000
    assert result.best_value == max(history["val_accuracy"])
    assert result.best_epoch == int(np.argmax(history["val_accuracy"]))


def test_resume_after_a_crash_mid_epoch_loses_only_that_epoch(tmp_path):
    spec = tiny_spec(epochs=4, lr_schedule=lambda epoch: 0.01 * 0.5**epoch)
    with pytest.raises(RuntimeError, match="simulated kill"):
        fit(spec, tiny_data(spec), work_dir=tmp_path, callbacks=[InterruptAt(2, 3, RuntimeError("simulated kill"))])
    state = json.loads((tmp_path / STATE_DIR / "state.json").read_text())
    assert state["epochs_done"] == 2  # epoch 3 was cut in the middle

    result = fit(spec, tiny_data(spec), work_dir=tmp_path, resume=True)
    assert result.epochs_done == 4
    assert len(result.history["loss"]) == 4  # 2 kept + 2 new, none repeated
    assert result.history["lr"] == pytest.approx([0.01, 0.005, 0.0025, 0.00125])


class RecordEpochs(TinyBatches):
    """TinyBatches that note which epoch each batch request was made in."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests = []

    def __getitem__(self, i):
        self.requests.append((self.epoch, i))
        return super().__getitem__(i)


def test_epoch_e_trains_on_the_batches_of_epoch_e_also_after_a_resume(tmp_path):
    spec = tiny_spec(epochs=3)
    data = tiny_data(spec)
    data.train = RecordEpochs(data.train.x, data.train.y, data.train.batch_size)
    fit(spec, data, work_dir=tmp_path)
    steps = len(data.train)
    assert data.train.requests == [(e, i) for e in range(3) for i in range(steps)]  # each batch once, in order

    spec.training.epochs = 5
    data.train.requests.clear()
    fit(spec, data, work_dir=tmp_path, resume=True)
    assert data.train.requests == [(e, i) for e in (3, 4) for i in range(steps)]


def test_resume_restores_weights_and_optimizer_exactly(tmp_path):
    spec = tiny_spec(epochs=3)
    straight = fit(spec, tiny_data(spec), work_dir=tmp_path / "a")
    with pytest.raises(RuntimeError):
        fit(spec, tiny_data(spec), work_dir=tmp_path / "b", callbacks=[InterruptAt(1, 2, RuntimeError("stop"))])
    resumed = fit(spec, tiny_data(spec), work_dir=tmp_path / "b", resume=True)
    assert resumed.history["loss"][0] == straight.history["loss"][0]
    assert resumed.history["loss"][1:] == pytest.approx(straight.history["loss"][1:], rel=1e-4)


def test_ctrl_c_stops_cleanly_and_keeps_the_best_checkpoint(tmp_path):
    spec = tiny_spec(epochs=5)
    result = fit(spec, tiny_data(spec), work_dir=tmp_path, callbacks=[InterruptAt(1, 2, KeyboardInterrupt())])
    assert result.interrupted and result.epochs_done == 1
    assert (tmp_path / "best.weights.h5").is_file()


def test_early_stopping_ends_training(tmp_path):
    spec = tiny_spec(epochs=30, learning_rate=1e-9, early_stopping=EarlyStopping(monitor="val_loss", patience=1,
                                                                                    min_delta=1.0))
    result = fit(spec, tiny_data(spec), work_dir=tmp_path)
    assert result.epochs_done < 30 and result.stopped_early


def test_unknown_monitor_is_named(tmp_path):
    spec = tiny_spec(epochs=1, checkpoint_monitor="val_acc")
    with pytest.raises(Exception, match="checkpoint_monitor='val_acc'"):
        fit(spec, tiny_data(spec), work_dir=tmp_path)


def test_train_writes_models_results_and_archive(tmp_path, monkeypatch):
    from harken.export.archive import archive_names
    from harken.export.tflite import read_params

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    spec = tiny_spec(name="tiny-run", epochs=2)
    result = train(spec, data=tiny_data(spec))
    work = spec.work_dir()
    assert result.archive_path == work / "tiny-run.harken.zip"
    names = archive_names(result.archive_path)
    for expected in ("tiny-run.keras", "tiny-run.tflite", "tiny-run.float32.tflite", "summary.txt",
                     "summary_tflite.txt", "history.json", "history.png", "validation_results.json", "spec.json"):
        assert expected in names
    validation = json.loads((work / "validation_results.json").read_text())
    assert validation["int8_interpreter"] == "tflm" and validation["litert_max_step_difference"] <= 1
    assert set(validation["int8_tflite"]["per_class"]) == {"on", "off", "_unknown_"}
    assert (result.quantization.input_scale, result.quantization.input_zero_point) == (1.0, 0)
    params = read_params(work / "tiny-run.tflite")
    assert params["name"] == "tiny-run" and params["runtime_memory_size"] > 0


def _kernels(model) -> list:
    return [w.numpy().copy() for w in model.trainable_weights]


def trained_base(folder):
    """A tiny model trained for 2 epochs and saved as ``folder/base.keras``: a start to fine-tune."""
    from harken.training.build import build_model_for_spec

    base = tiny_spec(name="base", epochs=2)
    base_model = build_model_for_spec(base)
    fit(base, tiny_data(base), model=base_model)
    base_model.save(folder / "base.keras")
    return base_model


def test_training_can_start_from_another_models_weights(tmp_path, monkeypatch):
    from harken.training.initial_weights import initial_weights_file, load_initial_weights
    from harken.training.build import build_model_for_spec

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    base_model = trained_base(tmp_path)
    spec = tiny_spec(name="tuned", epochs=1, initial_weights=str(tmp_path / "base.keras"))
    model = build_model_for_spec(spec)
    assert not all(np.array_equal(a, b) for a, b in zip(_kernels(model), _kernels(base_model)))
    load_initial_weights(model, initial_weights_file(spec), spec)
    assert all(np.array_equal(a, b) for a, b in zip(_kernels(model), _kernels(base_model)))


def test_initial_weights_by_spec_name_use_that_specs_trained_model(tmp_path, monkeypatch):
    from harken.training.initial_weights import initial_weights_file

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "base_spec.py").write_text("import harken\nspec = harken.ModelSpec(classes=('on', 'off', '_unknown_'))\n")
    monkeypatch.setenv("HARKEN_MODEL_PATH", str(specs))
    trained = tmp_path / "home" / "models" / "base_spec" / "base_spec.keras"
    trained.parent.mkdir(parents=True)
    trained.write_bytes(b"stands for a trained model")
    assert initial_weights_file(tiny_spec(name="tuned", initial_weights="base_spec")) == trained


def test_fine_tuning_warns_when_the_base_model_was_trained_with_other_settings(tmp_path, monkeypatch, caplog):
    import zipfile

    from harken.export.archive import SPEC_FILE, read_archived_spec, write_archive
    from harken.spec.loader import find_spec
    from harken.training.initial_weights import _first_difference, changed_since_trained, initial_weights_file

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    specs = tmp_path / "specs"
    specs.mkdir()
    spec_file = specs / "base_spec.py"
    spec_file.write_text("import harken\nspec = harken.ModelSpec(classes=('on', 'off', '_unknown_'))\n")
    monkeypatch.setenv("HARKEN_MODEL_PATH", str(specs))
    work = tmp_path / "home" / "models" / "base_spec"
    work.mkdir(parents=True)
    (work / "base_spec.keras").write_bytes(b"stands for a trained model")
    (work / "base_spec.tflite").write_bytes(b"stands for its int8 model")
    base = find_spec("base_spec")
    assert changed_since_trained(base) is None  # no archive: nothing to compare with
    write_archive(base, work)
    assert changed_since_trained(find_spec("base_spec")) is None
    with caplog.at_level("WARNING", logger="harken"):
        initial_weights_file(tiny_spec(name="tuned", initial_weights="base_spec"))
    assert "other settings" not in caplog.text

    spec_file.write_text("import harken\nspec = harken.ModelSpec(classes=('on', 'off', '_unknown_'), seed=5)\n")
    assert changed_since_trained(find_spec("base_spec")) == "seed: 5 (trained with 0)"
    with caplog.at_level("WARNING", logger="harken"):
        assert initial_weights_file(tiny_spec(name="tuned", initial_weights="base_spec")) == work / "base_spec.keras"
    assert "base_spec, whose model was trained with other settings than its spec has now (seed: 5" in caplog.text
    assert _first_difference("datasets", [{"synth": {"n": 3000, "seed": 0}}], [{"synth": {"n": 2000, "seed": 0}}]) \
        == "datasets.0.synth.n: 3000 (trained with 2000)"
    # a setting added to harken after the base was trained is not a change
    assert changed_since_trained(find_spec("base_spec")) is not None
    trained = read_archived_spec(base.archive_path())
    del trained["training"]["ensemble_size"]
    trained["seed"] = 5
    with zipfile.ZipFile(base.archive_path(), "w") as archive:
        archive.writestr(SPEC_FILE, json.dumps(trained))
    assert changed_since_trained(find_spec("base_spec")) is None


def test_initial_weights_that_do_not_fit_are_named(tmp_path):
    from harken.errors import SettingsError
    from harken.training.initial_weights import initial_weights_file, load_initial_weights
    from harken.training.build import build_model_for_spec

    with pytest.raises(SettingsError, match="no such file"):
        initial_weights_file(tiny_spec(initial_weights=str(tmp_path / "missing.keras")))
    other = tiny_spec(name="wide")
    other.model.options = {"filters": 8}
    wide = build_model_for_spec(other)
    wide.save(tmp_path / "wide.keras")
    spec = tiny_spec(name="narrow", initial_weights=str(tmp_path / "wide.keras"))
    with pytest.raises(SettingsError, match=r"wide.keras: these weights do not fit the model of narrow"):
        load_initial_weights(build_model_for_spec(spec), tmp_path / "wide.keras", spec)
    with pytest.raises(Exception, match="initial_weights=''"):
        tiny_spec(initial_weights="")


def test_without_a_checkpoint_monitor_the_last_epoch_is_kept(tmp_path):
    from harken.training.build import build_model_for_spec

    spec = tiny_spec(epochs=3, checkpoint_monitor=None, learning_rate=0.05)
    snapshots = []

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(_kernels(self.model))

    model = build_model_for_spec(spec)
    result = fit(spec, tiny_data(spec), model=model, work_dir=tmp_path, callbacks=[Snapshot()])
    assert result.best_epoch == 2 and result.best_value is None
    assert not all(np.array_equal(a, b) for a, b in zip(snapshots[1], snapshots[2]))
    assert all(np.array_equal(a, b) for a, b in zip(snapshots[2], _kernels(model)))


def test_an_ema_optimizer_leaves_its_averages_in_the_kept_last_epoch(tmp_path):
    from harken.training.build import build_model_for_spec
    from harken.training.resume import BEST_WEIGHTS

    spec = tiny_spec(epochs=2, checkpoint_monitor=None, learning_rate=0.05,
                     optimizer_options={"use_ema": True, "ema_momentum": 0.9})
    snapshots = []

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(_kernels(self.model))

    model = build_model_for_spec(spec)
    fit(spec, tiny_data(spec), model=model, work_dir=tmp_path, callbacks=[Snapshot()])
    averaged = _kernels(model)
    assert not all(np.array_equal(a, b) for a, b in zip(snapshots[-1], averaged))
    reloaded = build_model_for_spec(spec)
    reloaded.load_weights(tmp_path / BEST_WEIGHTS)
    assert all(np.array_equal(a, b) for a, b in zip(averaged, _kernels(reloaded)))
