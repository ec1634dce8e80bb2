"""End to end: a tiny int8 .tflite with embedded settings, generated wav clips, `evaluate` and `calibrate`.

The model is built and converted once per module (the only TensorFlow conversion of these tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf
import typer
from typer.testing import CliRunner

from harken.cli.evaluate import register
from harken.errors import HarkenError
from harken.export.tflite import read_params, write_params

FE = {"fe.sample_rate_hz": 8000, "fe.sample_length_ms": 1000, "fe.window_size_ms": 30, "fe.window_step_ms": 20,
      "fe.filterbank_n_channels": 16, "fe.filterbank_upper_band_limit": 3800.0}  # fmt: skip
CLASSES = ["on", "off", "_unknown_"]
INPUT_SHAPE = (49, 16, 1)  # (8000 - 240) // 160 + 1 frames x 16 channels


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _run(*args: str):
    """Invoke the CLI; a HarkenError propagates (harken.cli.app.run turns it into exit code 2)."""
    return CliRunner().invoke(_app(), list(args), catch_exceptions=False)


pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # TF converter internals
    pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning"),
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """model.tflite (int8, classes + fe.* + thresholds embedded), model.keras, and a clip dataset."""
    import keras
    import tensorflow as tf

    from harken.audio.io import read_audio
    from harken.frontend import FrontendSettings, compute_spectrograms

    root = tmp_path_factory.mktemp("eval_e2e")
    rng = np.random.default_rng(1)
    data = root / "clips"
    t = np.arange(8000) / 8000
    for folder, n in (("on", 3), ("off", 3), ("yes", 2), ("_silence_", 2)):
        (data / folder).mkdir(parents=True)
        for i in range(n):
            freq = {"on": 300, "off": 900, "yes": 1800, "_silence_": 0}[folder] * (1 + 0.1 * i)
            clip = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(t.size)
            length = 4000 if i == 1 else 8000  # one short clip per class: padded to 1 s
            sf.write(data / folder / f"{folder}_spk{i}_nohash_0.wav", clip[:length].astype(np.float32), 8000, subtype="PCM_16")
    sf.write(data / "on" / "on_spk9_nohash_0.wav", np.zeros(16000, np.float32), 16000, subtype="PCM_16")  # resampled

    inputs = keras.Input(INPUT_SHAPE)
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(1))(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(len(CLASSES), kernel_initializer=keras.initializers.GlorotUniform(2))(x)
    outputs = keras.layers.Softmax()(keras.layers.Rescaling(0.05)(x))  # keep the untrained scores soft
    model = keras.Model(inputs, outputs)
    model.save(root / "model.keras")
    # Representative inputs: the clips' own int8 spectrograms, as training would feed them (float32).
    clips = [np.resize(read_audio(p, sample_rate_hz=8000)[0], 8000) for p in sorted(data.glob("*/*.wav"))]
    spectrograms = compute_spectrograms(np.stack(clips), FrontendSettings.from_dict(FE)).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    converter.representative_dataset = lambda: ([s.reshape(1, *INPUT_SHAPE)] for s in spectrograms)
    params = {"name": "tiny", "classes": CLASSES, **FE, "detection_threshold_list": [150, 150, 255]}
    (root / "model.tflite").write_bytes(write_params(converter.convert(), params))
    return root


def test_evaluate_tflite_writes_results_and_plots(model_dir, tmp_path):
    result = _run("evaluate", str(model_dir / "model.tflite"), "--dataset", str(model_dir / "clips"), "--out", str(tmp_path), "-q")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "eval-results.json").read_text())
    for key in ("accuracy", "balanced_accuracy", "keyword_recall", "false_accept_rate", "class_recall",
                "class_precision", "roc_auc", "confusion_matrix", "detection", "clip_counts"):  # fmt: skip
        assert key in data
    assert data["num_clips"] == 11 and data["classes"] == CLASSES
    assert data["clip_counts"] == {"_silence_": 2, "off": 3, "on": 4, "yes": 2}
    assert np.sum(data["confusion_matrix"]["counts"]) == 11
    assert data["confusion_matrix"]["counts"][2] and sum(data["confusion_matrix"]["counts"][2]) == 4  # yes + silence
    assert data["detection"]["thresholds"] == {"on": 150, "off": 150, "_unknown_": 255}
    assert data["intervals"]["num_speakers"] == 6  # spk0-2 and spk9 by name; each _silence_ clip its own
    assert {p.name for p in tmp_path.glob("*.png")} == {"eval-confusion.png", "eval-roc.png", "eval-precision-recall.png", "eval-scores.png"}


def test_evaluate_prints_a_summary_and_json(model_dir, tmp_path):
    result = _run("evaluate", str(model_dir / "model.tflite"), "-d", str(model_dir / "clips"), "-o", str(tmp_path), "--no-plots")
    assert result.exit_code == 0 and "balanced accuracy" in result.output and "false accepts" in result.output
    assert "% bootstrap range, the 6 speakers drawn with their clips" in result.output
    result = _run("evaluate", str(model_dir / "model.tflite"), "-d", str(model_dir / "clips"), "-o", str(tmp_path), "--json")
    assert json.loads(result.stdout)["num_clips"] == 11


def test_evaluate_against_a_baseline_prints_and_writes_the_differences(model_dir, tmp_path):
    model = str(model_dir / "model.tflite")
    result = _run("evaluate", model, "-d", str(model_dir / "clips"), "-o", str(tmp_path), "--no-plots", "--baseline", model)
    assert result.exit_code == 0, result.output
    assert f"against {model} (same clips" in result.output and "balanced accuracy +0.0 [+0.0 to +0.0]" in result.output
    data = json.loads((tmp_path / "eval-results.json").read_text())
    assert data["baseline"]["balanced_accuracy"] == {"difference": 0.0, "range": [0.0, 0.0]}


def test_evaluating_a_tflite_never_imports_tensorflow(model_dir, tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from harken.evaluation.scoring import evaluate_model, save_evaluation
        ev, scored = evaluate_model({str(model_dir / "model.tflite")!r}, {str(model_dir / "clips")!r})
        save_evaluation(ev, scored, {str(tmp_path)!r})
        loaded = [m for m in ("tensorflow", "keras") if m in sys.modules]
        print("LOADED", loaded)
    """)
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stdout


def test_batched_inference_equals_one_clip_at_a_time(model_dir):
    from harken.runtime.clip_model import load_clip_model

    spectrograms = np.random.default_rng(2).integers(-128, 128, size=(37, 49, 16), dtype=np.int8)
    batched = load_clip_model(model_dir / "model.tflite", max_batch_size=16, interpreter="litert").predict(spectrograms)
    single = load_clip_model(model_dir / "model.tflite", max_batch_size=1, interpreter="litert").predict(spectrograms)
    assert np.array_equal(batched[1], single[1]) and np.array_equal(batched[0], single[0])
    tflm = load_clip_model(model_dir / "model.tflite")
    assert tflm._runner.interpreter == "tflm"
    assert np.abs(tflm.predict(spectrograms)[1].astype(int) - single[1].astype(int)).max() <= 1


def test_keras_model_takes_settings_and_classes_from_sibling_tflite(model_dir, tmp_path):
    from harken.evaluation.scoring import evaluate_model

    _, tflite_scored = evaluate_model(model_dir / "model.tflite", model_dir / "clips")
    keras_ev, keras_scored = evaluate_model(model_dir / "model.keras", model_dir / "clips")
    assert keras_ev.classes == CLASSES and keras_ev.num_clips == 11
    assert keras_ev.detection["thresholds"] == {"on": 150, "off": 150, "_unknown_": 255}
    assert keras_scored.probabilities.sum(axis=1) == pytest.approx(np.ones(11), abs=1e-5)
    # the int8 model scores what the float model scores, within quantization error
    assert np.abs(keras_scored.probabilities - tflite_scored.probabilities).max() < 0.05


def test_keras_model_without_settings_asks_for_them(model_dir, tmp_path):
    from harken.runtime.clip_model import load_clip_model

    lone = tmp_path / "lone.keras"
    lone.write_bytes((model_dir / "model.keras").read_bytes())
    with pytest.raises(HarkenError, match="--settings"):
        load_clip_model(lone)
    settings = tmp_path / "fe.json"
    settings.write_text(json.dumps(FE))
    with pytest.raises(HarkenError, match="--classes"):
        load_clip_model(lone, settings=settings)
    assert load_clip_model(lone, settings=settings, classes=CLASSES).classes == tuple(CLASSES)


def test_a_lone_keras_baseline_takes_the_settings_and_classes_given(model_dir, tmp_path):
    lone = tmp_path / "lone.keras"
    lone.write_bytes((model_dir / "model.keras").read_bytes())
    settings = tmp_path / "fe.json"
    settings.write_text(json.dumps(FE))
    result = _run("evaluate", str(model_dir / "model.tflite"), "-d", str(model_dir / "clips"), "-o", str(tmp_path),
                  "--no-plots", "--baseline", str(lone), "--settings", str(settings), "--classes", ",".join(CLASSES))
    assert result.exit_code == 0, result.output
    assert f"against {lone} (same clips" in result.output  # the float twin of the int8 model


def test_wrong_number_of_classes_is_refused(model_dir):
    from harken.runtime.clip_model import load_clip_model

    with pytest.raises(HarkenError, match="3 outputs but 2 classes"):
        load_clip_model(model_dir / "model.tflite", classes=["on", "off"])


def test_calibrate_dry_run_leaves_the_model_alone(model_dir):
    before = (model_dir / "model.tflite").read_bytes()
    result = _run("calibrate", str(model_dir / "model.tflite"), "-d", str(model_dir / "clips"),
                  "--target-false-accept", "0.25", "--dry-run", "--json", "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    cal = json.loads(result.stdout)
    assert cal["dry_run"] and len(cal["thresholds"]) == 3 and cal["thresholds"][2] == 255
    assert all(rate <= 0.25 for rate in cal["false_accept_rate"].values())
    assert (model_dir / "model.tflite").read_bytes() == before


def test_calibrate_writes_thresholds_and_keeps_a_backup(model_dir, tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes((model_dir / "model.tflite").read_bytes())
    result = _run("calibrate", str(model), "-d", str(model_dir / "clips"), "--target-false-accept", "0")
    assert result.exit_code == 0, result.output
    assert "detection_threshold_list" in result.output
    params = read_params(model)
    assert (tmp_path / "m.tflite.bak").read_bytes() == (model_dir / "model.tflite").read_bytes()
    assert params["classes"] == CLASSES and params["fe.filterbank_n_channels"] == 16
    from harken.evaluation.scoring import evaluate_model

    ev, _ = evaluate_model(model, model_dir / "clips")
    assert ev.detection["false_accept_rate"] == 0.0
    assert list(ev.detection["thresholds"].values()) == list(params["detection_threshold_list"])


def test_model_name_resolves_through_the_spec(model_dir, tmp_path, monkeypatch):
    import harken.spec.loader
    from harken.evaluation.scoring import resolve_model

    work = tmp_path / "models" / "tiny"
    work.mkdir(parents=True)
    (work / "tiny.tflite").write_bytes((model_dir / "model.tflite").read_bytes())
    monkeypatch.setattr(harken.spec.loader, "find_spec", lambda name: SimpleNamespace(name=name, work_dir=lambda: work))
    assert resolve_model("tiny") == work / "tiny.tflite"
    (work / "tiny.tflite").unlink()
    with pytest.raises(HarkenError, match="run 'harken train tiny' first"):
        resolve_model("tiny")


def test_scores_equal_the_microcontroller_interpreter(model_dir):
    from tflite_micro.python.tflite_micro import runtime

    from harken.runtime.clip_model import load_clip_model

    spectrograms = np.random.default_rng(3).integers(-128, 128, size=(20, 49, 16), dtype=np.int8)
    _, scores = load_clip_model(model_dir / "model.tflite").predict(spectrograms)
    micro = runtime.Interpreter.from_bytes((model_dir / "model.tflite").read_bytes())
    expected = []
    for spectrogram in spectrograms:
        micro.set_input(spectrogram.reshape(1, *INPUT_SHAPE), 0)
        micro.invoke()
        expected.append(micro.get_output(0)[0].astype(np.int16) + 128)
    assert np.array_equal(scores, np.array(expected))


def test_missing_model_file_is_a_harken_error(tmp_path):
    with pytest.raises(HarkenError, match="no such model file"):
        _run("evaluate", str(tmp_path / "nothing.tflite"), "--dataset", str(tmp_path))


def test_calibrate_refuses_a_keras_model(model_dir):
    with pytest.raises(HarkenError, match="calibrate needs the int8 .tflite"):
        _run("calibrate", str(model_dir / "model.keras"), "--dataset", str(model_dir / "clips"))


def test_split_percentages_choose_which_speakers_are_scored(model_dir, tmp_path):
    """--split testing with a spec's percentages scores exactly that split's clips."""
    from harken.datasets import DirectorySettings, load_directory_dataset

    checked = 0
    for validation, testing in ((10.0, 10.0), (0.0, 50.0), (0.0, 80.0)):
        dataset = load_directory_dataset(model_dir / "clips", DirectorySettings(validation_percentage=validation,
                                                                                testing_percentage=testing))
        expected = [s for s in dataset.split("testing") if s.path]
        if not expected or len(expected) == len(dataset.samples):
            continue
        checked += 1
        result = _run("evaluate", str(model_dir / "model.tflite"), "-d", str(model_dir / "clips"), "-o", str(tmp_path),
                      "--split", "testing", "--validation-percentage", str(validation),
                      "--testing-percentage", str(testing), "--json")
        assert json.loads(result.stdout)["num_clips"] == len(expected), (validation, testing)
    assert checked  # at least one setting split the speakers


def test_speaker_manifest_chooses_the_testing_speakers(model_dir, tmp_path):
    """--speaker-manifest with a split column: --split testing scores exactly the speaker put there."""
    from harken.datasets import load_directory_dataset

    clips = model_dir / "clips"
    samples = [s for s in load_directory_dataset(clips).samples if s.path]
    chosen = next(s.speaker for s in samples if s.label == "on")
    theirs = [Path(s.path) for s in samples if s.speaker == chosen]
    assert 1 < len(theirs) < len(samples)  # one listed file moves all of them
    manifest = tmp_path / "splits.csv"
    manifest.write_text("file,split\n" + "".join(f"{p.parent.name}/{p.name},testing\n" for p in theirs[:1]))
    result = _run("evaluate", str(model_dir / "model.tflite"), "-d", str(clips), "-o", str(tmp_path), "--split",
                  "testing", "--validation-percentage", "0", "--testing-percentage", "0",
                  "--speaker-manifest", str(manifest), "--json")
    assert json.loads(result.stdout)["num_clips"] == len(theirs)  # all of that speaker's clips, and only theirs


def test_split_percentages_come_from_the_spec_that_trained_on_the_folder(tmp_path, monkeypatch):
    from harken.evaluation.scoring import spec_split_settings

    clips = tmp_path / "clips"
    (clips / "on").mkdir(parents=True)
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "mine.py").write_text(textwrap.dedent(f"""
        import harken
        from harken.spec import DatasetSource
        spec = harken.ModelSpec(classes=("on", "off", "_unknown_"), datasets=[
            DatasetSource(directory={str(clips)!r}, validation_percentage=30.0, testing_percentage=20.0,
                          speaker_manifest="splits.csv")])
    """))
    monkeypatch.setenv("HARKEN_MODEL_PATH", str(specs))
    assert spec_split_settings("mine", clips) == {"validation_percentage": 30.0, "testing_percentage": 20.0,
                                                  "speaker_manifest": "splits.csv"}
    assert spec_split_settings("mine", tmp_path) is None  # the spec trains on another folder
    assert spec_split_settings(tmp_path / "model.tflite", clips) is None  # a file names no spec
    assert spec_split_settings("no_such_spec", clips) is None
