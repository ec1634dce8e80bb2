"""Distillation: teachers' mixed targets, the student following them, teacher checks and settings errors."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from harken.distill import load_teachers, soft_targets
from harken.errors import SettingsError
from harken.spec.model_spec import SpecProblem, TrainingSettings
from harken.train.initial_weights import teacher_files
from harken.train.job import build_model_for_spec, fit
from tests.train.test_train import tiny_data, tiny_spec

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


def constant_teacher(spec, probabilities) -> keras.Model:
    """A model of the spec's input and classes that answers ``probabilities`` whatever it hears."""
    inputs = keras.Input(spec.input_shape)
    zero = keras.layers.Lambda(lambda x: 0.0 * keras.ops.mean(x, axis=(1, 2, 3), keepdims=False)[:, None])(inputs)
    logits = keras.layers.Lambda(lambda z: z + keras.ops.log(keras.ops.convert_to_tensor(probabilities)))(zero)
    return keras.Model(inputs, keras.layers.Softmax()(logits))


def _predictions(spec, work_dir, x) -> np.ndarray:
    """Top class of the weights fit() kept in ``work_dir``."""
    model = build_model_for_spec(spec)
    model.load_weights(work_dir / "best.weights.h5")
    return np.argmax(model.predict(x, verbose=0), axis=1)


def test_soft_targets_mix_the_teachers_mean_with_the_label():
    spec = tiny_spec()
    teachers = [constant_teacher(spec, [0.6, 0.2, 0.2]), constant_teacher(spec, [0.2, 0.2, 0.6])]
    x = np.zeros((2, *spec.input_shape), np.float32)
    label = tf.constant([1, 2])
    weights = tf.constant([1.0, 3.0])
    out_x, target, out_w = soft_targets(teachers, spec.num_classes, 0.25)(tf.constant(x), label, weights)
    mean = np.array([0.4, 0.2, 0.4])
    np.testing.assert_allclose(target.numpy(), [0.25 * mean + 0.75 * np.eye(3)[1], 0.25 * mean + 0.75 * np.eye(3)[2]],
                               atol=1e-6)
    np.testing.assert_allclose(target.numpy().sum(axis=1), 1.0, atol=1e-6)
    assert out_x.shape == x.shape and out_w.numpy().tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="at least one teacher"):
        soft_targets([], 3, 0.5)


def test_a_student_with_weight_one_learns_the_teacher_not_the_labels(tmp_path):
    spec = tiny_spec(epochs=12, learning_rate=0.01, teachers=("t",), distillation_weight=1.0, class_weights=None,
                     checkpoint_monitor=None)
    teacher = constant_teacher(spec, [0.05, 0.05, 0.9])  # always "_unknown_", whatever the label says
    data = tiny_data(spec)
    result = fit(spec, data, work_dir=tmp_path, teachers=[teacher])
    assert result.epochs_done == 12 and "val_accuracy" in result.history
    predicted = _predictions(spec, tmp_path, data.validation[0])
    assert np.mean(predicted == 2) > 0.9  # follows the teacher: the labels are spread over 3 classes
    assert np.mean(predicted == data.validation[1]) < 0.5


def test_the_same_student_without_teachers_learns_the_labels(tmp_path):
    spec = tiny_spec(epochs=12, learning_rate=0.01, class_weights=None, checkpoint_monitor=None)
    data = tiny_data(spec)
    fit(spec, data, work_dir=tmp_path)
    assert np.mean(_predictions(spec, tmp_path, data.validation[0]) == data.validation[1]) > 0.9


def test_fit_needs_the_teachers_the_spec_names(tmp_path):
    spec = tiny_spec(teachers=("somebody",))
    with pytest.raises(SettingsError, match="names teachers"):
        fit(spec, tiny_data(spec), work_dir=tmp_path)


def test_teacher_files_and_models_are_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    with pytest.raises(SettingsError, match="no such file"):
        teacher_files(tiny_spec(name="student", teachers=(str(tmp_path / "missing.keras"),)))
    spec = tiny_spec()
    wrong = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    wrong.save(tmp_path / "wrong.keras")
    with pytest.raises(SettingsError, match=r"wrong.keras: this teacher maps \(4, 4, 1\) to 3 classes"):
        load_teachers([tmp_path / "wrong.keras"], spec)
    (tmp_path / "broken.keras").write_bytes(b"not a model")
    with pytest.raises(SettingsError, match="training.teachers: .*broken.keras: Keras cannot load the model"):
        load_teachers([tmp_path / "broken.keras"], spec)
    right = keras.Sequential([keras.Input(spec.input_shape), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    right.save(tmp_path / "right.keras")
    loaded = load_teachers([tmp_path / "right.keras"], spec)
    assert len(loaded) == 1 and not loaded[0].trainable


def test_a_teacher_spec_must_share_the_students_front_end_and_classes(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "other_classes.py").write_text("import harken\nspec = harken.ModelSpec(classes=('yes', 'no', '_unknown_'))\n")
    (specs / "other_front_end.py").write_text("import harken\nspec = harken.ModelSpec(classes=('on', 'off', '_unknown_'))\n")
    monkeypatch.setenv("HARKEN_MODEL_PATH", str(specs))
    with pytest.raises(SettingsError, match="other_classes, whose classes differ"):
        teacher_files(tiny_spec(name="student", teachers=("other_classes",)))
    with pytest.raises(SettingsError, match="other_front_end, whose front-end settings differ"):
        teacher_files(tiny_spec(name="student", teachers=("other_front_end",)))


def test_distillation_settings_are_validated():
    assert TrainingSettings(teachers=["a", "b"]).teachers == ("a", "b")
    with pytest.raises(SpecProblem, match="teachers"):
        TrainingSettings(teachers=("",))
    with pytest.raises(SpecProblem, match="distillation_weight"):
        TrainingSettings(teachers=("a",), distillation_weight=0.0)
    with pytest.raises(SpecProblem, match="focal_gamma works with plain labels"):
        TrainingSettings(teachers=("a",), focal_gamma=2.0)
    settings = TrainingSettings(teachers=("a",), distillation_weight=0.7)
    assert TrainingSettings.from_dict(settings.to_dict()).teachers == ("a",)


@pytest.mark.slow
def test_train_learns_from_a_teacher_file_and_archives_the_student(tmp_path, monkeypatch):
    from harken.train.job import train

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    teacher_spec = tiny_spec(name="teacher", epochs=2)
    train(teacher_spec, data=tiny_data(teacher_spec), write_archive=False)
    teacher = teacher_spec.work_dir() / "teacher.keras"
    student = tiny_spec(name="student", epochs=2, teachers=(str(teacher),), class_weights=None)
    result = train(student, data=tiny_data(student))
    assert result.archive_path is not None and result.archive_path.is_file()
    assert result.validation["int8_interpreter"] == "tflm"
    assert json.loads((student.work_dir() / "history.json").read_text())["val_accuracy"]
