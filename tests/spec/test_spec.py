"""Model specs: the dataclasses, spec files found by name, NAME-test, and errors naming file and line."""

from __future__ import annotations

import json
import textwrap

import pytest
import typer
from typer.testing import CliRunner

import harken
from harken.errors import SettingsError, SpecError
from harken.datasets.synth import SynthSettings
from harken.spec import (DatasetSource, DetectionSettings, EarlyStopping, ModelSettings, ModelSpec,
                                    QuantizationSettings, ReduceLrOnPlateau, TrainingSettings)
from harken.spec.loader import find_spec, list_specs, load_spec

GOOD = '''\
"""A tiny test spec."""
import harken
from harken.spec import ModelSettings, TrainingSettings

spec = harken.ModelSpec(
    classes=("on", "off", "_unknown_"),
    model=ModelSettings(architecture="cnn"),
    training=TrainingSettings(epochs=5),
)
'''


def write(folder, name, text):
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return path


def test_attribute_assignment_works_and_typos_are_rejected():
    spec = ModelSpec(classes=("on", "off"), model=ModelSettings(architecture="cnn"))
    spec.training.epochs = 80
    assert spec.training.epochs == 80
    with pytest.raises(AttributeError):
        spec.training.epocs = 80


def test_spec_round_trips_through_plain_data():
    spec = ModelSpec(name="m", classes=("on", "off", "_unknown_"),
                     datasets=[DatasetSource(directory="/data/words", class_map={"sil": "_unknown_"})],
                     training=TrainingSettings(lr_steps=((10, 0.01), (5, 0.001))),
                     detection=DetectionSettings(detection_threshold_list=(200, 200, 255)))
    again = ModelSpec.from_dict(spec.to_dict())
    assert again.to_dict() == spec.to_dict()


@pytest.mark.parametrize("settings", [
    DatasetSource(download="speech_commands_v2", keywords=("on", "off"), max_samples_per_class=30),
    DatasetSource(synth=SynthSettings(keywords=("on",), num_clips_per_keyword=3), class_map={"on": "up"}),
    ModelSettings(architecture="cnn", options={"filters": [8, 16]}),
    EarlyStopping(patience=3), ReduceLrOnPlateau(factor=0.5),
    QuantizationSettings(num_representative_samples=7, float_model=False),
    DetectionSettings(detection_threshold_list=(200, 255), suppression_ms=500),
], ids=lambda s: type(s).__name__)
def test_each_spec_settings_class_round_trips_through_plain_data(settings):
    data = settings.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert type(settings).from_dict(data) == settings


def test_nested_unknown_key_names_where_it_is():
    data = ModelSpec(classes=("on", "off"), model=ModelSettings(architecture="cnn"),
                     datasets=[DatasetSource(directory="/x")]).to_dict()
    data["datasets"][0]["directry"] = "/y"
    with pytest.raises(SettingsError, match=r"ModelSpec.datasets\[0\]: unknown setting 'directry'; did you mean 'directory'"):
        ModelSpec.from_dict(data)
    data = ModelSpec(classes=("on", "off"), model=ModelSettings(architecture="cnn")).to_dict()
    data["detection"]["latency"] = 3
    with pytest.raises(SettingsError, match=r"ModelSpec.detection: unknown setting 'latency'; did you mean 'latency_ms'"):
        ModelSpec.from_dict(data)


def test_every_public_name_imports_from_the_package_where_its_module_defines_it():
    import importlib

    import harken.spec

    for name in harken.spec.__all__:
        value = getattr(harken.spec, name)
        assert value.__module__.startswith("harken.spec."), name
        assert getattr(importlib.import_module(value.__module__), name) is value


def test_from_dict_rejects_unknown_keys_with_a_suggestion():
    with pytest.raises(SettingsError, match="did you mean 'epochs'"):
        TrainingSettings.from_dict({"epoch": 3})


def test_spec_found_in_current_directory_first(tmp_path, monkeypatch):
    write(tmp_path, "keyword_spotting_on_off", GOOD)  # shadows the built-in one
    monkeypatch.chdir(tmp_path)
    spec = find_spec("keyword_spotting_on_off")
    assert spec.training.epochs == 5
    assert spec.source_path == str((tmp_path / "keyword_spotting_on_off.py").resolve())


def test_spec_found_on_harken_model_path(tmp_path, monkeypatch):
    other = tmp_path / "models"
    other.mkdir()
    write(other, "tiny", GOOD)
    monkeypatch.setenv("HARKEN_MODEL_PATH", str(other))
    assert find_spec("tiny").name == "tiny"
    assert "tiny" in [info.name for info in list_specs()]


def test_builtin_specs_load_with_their_seed_settings():
    small = find_spec("keyword_spotting_on_off")
    assert small.input_shape == (49, 32, 1) and small.classes == ("on", "off", "_unknown_", "_silence_")
    assert small.detection.to_params()["detection_threshold"] == 160
    v3 = find_spec("keyword_spotting_on_off_v3")
    assert v3.input_shape == (98, 104, 1) and v3.frontend.dc_notch_filter_enable
    assert v3.training.total_lr_step_batches == 40400
    assert v3.detection.to_params()["detection_threshold_list"] == [242, 242, 255]
    assert find_spec("on_off_offline").datasets[0].kind == "synth"


def test_test_suffix_gives_a_dry_run_with_test_outputs():
    spec = find_spec("keyword_spotting_on_off-test")
    assert spec.dry_run and spec.name == "keyword_spotting_on_off-test"
    assert spec.training.epochs == 3
    assert all(source.max_samples_per_class <= 20 for source in spec.datasets)
    assert spec.work_dir().name == "keyword_spotting_on_off-test"
    assert spec.archive_path().name == "keyword_spotting_on_off-test.harken.zip"


def test_archive_goes_beside_a_user_spec(tmp_path):
    spec = load_spec(write(tmp_path, "mine", GOOD))
    assert spec.archive_path() == tmp_path.resolve() / "mine.harken.zip"


def test_unknown_spec_name_suggests_the_closest():
    with pytest.raises(SpecError, match="did you mean 'keyword_spotting_on_off'"):
        find_spec("keyword_spoting_on_off")


def test_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken", GOOD.replace("epochs=5)", "epochs=5"))
    with pytest.raises(SpecError, match=r"broken\.py:\d+: syntax error"):
        load_spec(path)


def test_missing_spec_is_named(tmp_path):
    path = write(tmp_path, "nospec", GOOD.replace("spec = ", "other = "))
    with pytest.raises(SpecError, match=r"nospec\.py: the file defines no 'spec'"):
        load_spec(path)


def test_unknown_class_in_a_dataset_names_its_line(tmp_path):
    text = GOOD.replace("    training=", '    datasets=[__import__("harken.spec.model_spec").spec.DatasetSource(\n'
                        '        directory="/x", class_map={"zz": "of"})],\n    training=')
    path = write(tmp_path, "badclass", text)
    with pytest.raises(SpecError, match=r"badclass\.py:\d+: .*class 'of'.*not in classes") as info:
        load_spec(path)
    line = int(str(info.value).split(":")[1])
    assert '"of"' in path.read_text().splitlines()[line - 1]


def test_class_error_after_construction_is_found_by_line(tmp_path):
    path = write(tmp_path, "late", GOOD + 'spec.training.class_weights = {"of": 2.0}\n')
    with pytest.raises(SpecError, match=r"late\.py:10: class_weights names class 'of'"):
        load_spec(path)


def test_checked_setting_changed_after_construction_is_found_by_line(tmp_path):
    path = write(tmp_path, "late", GOOD + "spec.quantization.num_representative_samples = 0\n")
    with pytest.raises(SpecError, match=r"late\.py:10: QuantizationSettings.num_representative_samples=0: use a whole"):
        load_spec(path)


def test_impossible_input_shape_names_file_and_line(tmp_path):
    text = GOOD.replace("    model=", "    frontend=__import__('harken.frontend').frontend.FrontendSettings(\n"
                        "        sample_length_ms=20),\n    model=")
    path = write(tmp_path, "short", text)
    with pytest.raises(SpecError, match=r"short\.py:\d+: .*window_size_ms.*longer than the sample"):
        load_spec(path)


def test_detection_threshold_list_needs_one_value_per_class():
    with pytest.raises(SettingsError, match="one per class"):
        ModelSpec(classes=("on", "off", "_unknown_"), model=ModelSettings(architecture="cnn"),
                  detection=DetectionSettings(detection_threshold_list=(200, 255)))


def test_import_harken_stays_light():
    import subprocess
    import sys

    code = "import sys, harken; harken.ModelSpec; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert harken.ModelSpec is ModelSpec


def test_list_command_shows_builtin_specs_with_descriptions():
    from harken.cli.model import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["list"])
    assert result.exit_code == 0
    assert "keyword_spotting_on_off_v3" in result.output and "on_off_offline" in result.output
    assert "Small on/off CNN" in result.output
    for derived in ("on_off_dev_mix", "on_off_offline_large", "on_off_dev_mix_large"):  # specs made from other specs
        assert f"\n{derived} " in result.output
