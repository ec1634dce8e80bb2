"""End to end: a stream made by ``make_stream``, a tiny hand-set int8 model, ``harken evaluate-stream`` and
``harken calibrate --stream`` (the model is converted once, in ``conftest.py``)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import textwrap

import pytest
import typer
from typer.testing import CliRunner

from harken.cli import evaluate as evaluate_cli, stream_eval
from harken.errors import AudioError, DatasetError, ModelFileError
from harken.export.tflite import read_params
from harken.streaming.labels import read_labels, write_labels

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # TF converter internals
    pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning"),
]


def _run(*args: str):
    app = typer.Typer()
    evaluate_cli.register(app)
    stream_eval.register(app)
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _relabel(tones, tmp_path, old: str, new: str):
    """A copy of the stream's labels with every ``old`` word labelled ``new``."""
    labels = [type(x)(x.start_s, x.end_s, new if x.label == old else x.label, x.row, x.extra)
              for x in read_labels(tones / "s.csv")]  # fmt: skip
    write_labels(tmp_path / "relabelled.csv", labels)
    return tmp_path / "relabelled.csv"


def test_evaluate_stream_writes_results_detections_and_det_curve(tones, tmp_path):
    result = _run("evaluate-stream", str(tones / "tones.tflite"), str(tones / "s.wav"), "--labels", str(tones / "s.csv"),
                  "--hop-ms", "100", "--out", str(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "hop 100 ms, 600 inferences, thresholds on 180, off 180, _unknown_ 255" in result.output
    assert "false accepts 0 (0.00 per hour), false rejects 0.0%" in result.output
    data = json.loads((tmp_path / "stream-results.json").read_text())
    words = read_labels(tones / "s.csv")
    assert data["num_words"] == {k: sum(x.label == k for x in words) for k in ("on", "off")}
    assert data["num_detected"] == data["num_words"] and data["false_accepts_per_hour"] == 0.0
    assert data["hop_ms"] == 100 and data["num_inferences"] == 600 and data["duration_s"] == 60.0
    assert -0.5 <= data["delay_s"]["median"] <= 0.5 and data["delay_s"]["num"] == sum(data["num_words"].values())
    assert data["per_label"]["_unknown_"] == {"words": sum(x.label == "_unknown_" for x in words), "detected_as": {}}
    assert [p["threshold"] for p in data["det_curve"]] == list(range(256))
    assert data["det_curve"][255]["false_reject_rate"] == 1.0
    with open(tmp_path / "stream-detections.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == data["num_detections"]
    assert sum(r["outcome"] == "hit" for r in rows) == sum(data["num_detected"].values())
    assert all(r["outcome"] in ("hit", "repeat", "late") and r["label"] == r["word_label"] for r in rows)
    assert (tmp_path / "stream-det.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_keyword_heard_where_the_labels_say_another_word_is_a_false_accept(tones, tmp_path):
    labels = _relabel(tones, tmp_path, "on", "_unknown_")
    result = _run("evaluate-stream", str(tones / "tones.tflite"), str(tones / "s.wav"), "--labels", str(labels),
                  "--hop-ms", "100", "--no-plots", "--json")  # fmt: skip
    data = json.loads(result.stdout)
    assert data["num_words"]["on"] == 0 and data["false_reject_rate"]["on"] is None
    assert data["num_false_accepts"]["on"] >= data["per_label"]["_unknown_"]["detected_as"]["on"] > 0
    assert data["false_accepts_on"]["_unknown_"] == data["num_false_accepts"]["on"]
    assert data["false_accepts_per_hour"] == 60.0 * data["num_false_accepts"]["on"]
    assert not (tmp_path / "stream-det.png").exists()


def test_the_hop_sets_the_number_of_inferences(tones, tmp_path):
    result = _run("evaluate-stream", str(tones / "tones.tflite"), str(tones / "s.wav"), "--labels", str(tones / "s.csv"),
                  "--hop-ms", "250", "--out", str(tmp_path), "--json")  # fmt: skip
    assert json.loads(result.stdout)["num_inferences"] == 240


@pytest.mark.parametrize("text, error, message", [
    ("start_s,end_s,label\n59.5,60.5,on\n", DatasetError, r"row 2: end_s=60\.5 is past the end of the stream \(60\.000 s\)"),
    ("start_s,end_s,label\n1,2,yes\n", DatasetError, r"row 2: label 'yes' is not a class of the model"),
    ("start_s,end_s,label\n1,2,on\n1.5,3,off\n", DatasetError, r"row 3: off \[1\.5, 3\.0\] overlaps row 2"),
    ("", DatasetError, r"the labels CSV is empty"),
])  # fmt: skip
def test_bad_labels_stop_before_the_model_runs(tones, tmp_path, text, error, message):
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(error, match=r"bad\.csv: " + message):
        _run("evaluate-stream", str(tones / "tones.tflite"), str(tones / "s.wav"), "--labels", str(tmp_path / "bad.csv"))


def test_a_stream_that_is_not_a_wav_is_rejected(tones, tmp_path):
    shutil.copy(tones / "s.csv", tmp_path / "s.wav")
    with pytest.raises(AudioError, match=r"s\.wav: not a wav file"):
        _run("evaluate-stream", str(tones / "tones.tflite"), str(tmp_path / "s.wav"), "--labels", str(tones / "s.csv"))


def test_calibrate_on_a_stream_writes_thresholds_that_meet_the_target_and_keeps_a_backup(tones, tmp_path):
    model = shutil.copy(tones / "tones.tflite", tmp_path / "m.tflite")
    original = model.read_bytes()
    labels = _relabel(tones, tmp_path, "on", "_unknown_")  # every 'on' detection is now a false accept
    result = _run("calibrate", str(model), "--stream", str(tones / "s.wav"), "--labels", str(labels),
                  "--target-false-accepts-per-hour", "0.5", "--hop-ms", "100")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "one false accept on this stream is 60.00 per hour, so the thresholds allow none" in result.output
    thresholds = read_params(model.read_bytes())["detection_threshold_list"]
    assert thresholds[1:] == [0, 255] and thresholds[0] > 200  # 'on' silenced above its false accepts; off untouched
    assert f"detection_threshold_list {thresholds} -> {model} (backup {model}.bak)" in result.output
    assert (tmp_path / "m.tflite.bak").read_bytes() == original
    again = _run("evaluate-stream", str(model), str(tones / "s.wav"), "--labels", str(labels), "--hop-ms", "100",
                 "--no-plots", "--json")  # fmt: skip
    data = json.loads(again.stdout)
    assert data["false_accepts_per_hour"] == 0.0 and data["false_reject_rate"]["off"] == 0.0


def test_calibrate_dry_run_prints_json_and_changes_nothing(tones, tmp_path):
    model = shutil.copy(tones / "tones.tflite", tmp_path / "m.tflite")
    result = _run("calibrate", str(model), "--stream", str(tones / "s.wav"), "--labels", str(tones / "s.csv"),
                  "--hop-ms", "100", "--dry-run", "--json")  # fmt: skip
    data = json.loads(result.stdout)
    assert data["dry_run"] is True and data["backup"] is None and data["keywords"] == ["on", "off"]
    assert data["thresholds"] == [0, 0, 255]  # no false accept at any threshold: the most recall
    assert model.read_bytes() == (tones / "tones.tflite").read_bytes() and not (tmp_path / "m.tflite.bak").exists()


def test_calibrate_needs_labels_with_a_stream_and_a_dataset_or_a_stream(tones):
    from harken.errors import SettingsError

    with pytest.raises(SettingsError, match=r"s\.wav: --stream needs --labels"):
        _run("calibrate", str(tones / "tones.tflite"), "--stream", str(tones / "s.wav"))
    with pytest.raises(SettingsError, match=r"tones\.tflite: calibrate needs --dataset DIR \(clips\) or --stream"):
        _run("calibrate", str(tones / "tones.tflite"))


def test_calibrate_writes_only_into_a_tflite_but_a_dry_run_reads_an_archive(tones, tmp_path):
    import zipfile

    from harken.streaming.calibrate import calibrate_on_stream

    with zipfile.ZipFile(tmp_path / "tones.harken.zip", "w") as archive:
        archive.write(tones / "tones.tflite", "tones.tflite")
    with pytest.raises(ModelFileError, match=r"tones\.harken\.zip:tones\.tflite: thresholds are stored in a \.tflite"):
        calibrate_on_stream(tmp_path / "tones.harken.zip", tones / "s.wav", tones / "s.csv", hop_ms=100)
    cal, _, backup = calibrate_on_stream(tmp_path / "tones.harken.zip", tones / "s.wav", tones / "s.csv", hop_ms=100,
                                         dry_run=True)  # fmt: skip
    assert cal.thresholds == [0, 0, 255] and backup is None


def test_evaluating_a_stream_never_imports_tensorflow(tones, tmp_path):
    code = textwrap.dedent(f"""
        import sys
        from harken.streaming.evaluate import evaluate_stream, save_stream_evaluation
        ev = evaluate_stream({str(tones / "tones.tflite")!r}, {str(tones / "s.wav")!r}, {str(tones / "s.csv")!r}, hop_ms=200)
        save_stream_evaluation(ev, {str(tmp_path)!r})
        print("LOADED", [m for m in ("tensorflow", "keras") if m in sys.modules])
    """)
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stdout


def test_volume_and_interpreter_options_reach_the_device_loop(tones, tmp_path):
    base = ["evaluate-stream", str(tones / "tones.tflite"), str(tones / "s.wav"), "--labels", str(tones / "s.csv"),
            "--hop-ms", "100", "--no-plots", "--json", "--out", str(tmp_path)]  # fmt: skip
    tflm = json.loads(_run(*base).stdout)  # the default: the microcontroller interpreter
    litert = json.loads(_run(*base, "--interpreter", "litert").stdout)
    assert tflm["num_detected"] == litert["num_detected"] and tflm["volume_gain"] == litert["volume_gain"] == 0
    louder = json.loads(_run(*base, "--volume", "3", "--saturate").stdout)
    assert louder["volume_gain"] == 3 and louder["num_inferences"] == tflm["num_inferences"]
