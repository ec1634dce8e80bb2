"""``harken profile``: the seeds' counts for their two models, the report files, and one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harken.cli.profile import register
from tests.conftest import DATA

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
TINY = DATA / "params" / "tiny_with_params.tflite"


@pytest.fixture(scope="module")
def cli():
    app = typer.Typer()
    register(app)
    app.command("unused")(lambda: None)  # two commands: typer keeps "profile" as a subcommand name
    return app


def run(cli, *args: str):
    return CliRunner().invoke(cli, ["profile", *args])


def seed_line(output: str, key: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(key)).split(": ", 1)[1]


@pytest.mark.slow
def test_small_cnn_built_from_its_spec_matches_the_seeds_profile(cli):
    result = run(cli, "keyword_spotting_on_off", "--build")
    assert result.exit_code == 0, result.output
    out = result.output
    assert (seed_line(out, "Operation Count"), seed_line(out, "Multiply-Accumulate Count"),
            seed_line(out, "Layer Count")) == ("574.5k", "278.1k", "7")  # fmt: skip
    assert seed_line(out, "Unsupported Layer Count") == "0" and "(untrained: built from the spec)" in out


@pytest.mark.slow
def test_tenet_v3_built_from_its_spec_is_within_one_percent_of_the_seeds_profile(cli):
    result = run(cli, "keyword_spotting_on_off_v3", "--build", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):result.output.rindex("}") + 1])
    assert report["ops"] == pytest.approx(18.2e6, rel=0.01)
    assert report["macs"] == pytest.approx(8.9e6, rel=0.01)
    assert report["n_layers"] == 90 and report["n_unsupported"] == 0
    # layer by layer as the seed prints them (harken's graph starts with an input reshape the seed's lacks)
    from harken.profile.report import _si

    assert [(layer["op"], _si(layer["ops"])) for layer in report["layers"][1:9]] == [
        ("conv_2d", "3.1M"), ("conv_2d", "1.5M"), ("depthwise_conv_2d", "154.3k"), ("conv_2d", "737.5k"),
        ("conv_2d", "252.3k"), ("add", "2.5k"), ("conv_2d", "757.0k"), ("depthwise_conv_2d", "154.3k")]


def test_tflite_report_names_target_clock_and_estimate(cli):
    result = run(cli, str(TINY), "--target", "cortex-m4", "--clock-hz", "80e6")
    assert result.exit_code == 0, result.output
    assert "Target: cortex-m4 (estimate, no accelerator)" in result.output
    assert "Clock Rate (hz): 80.0M" in result.output and "Inference/s (estimate): " in result.output


def test_energy_column_with_joules_per_cycle(cli):
    result = run(cli, str(TINY), "--joules-per-cycle", "1e-10")
    assert result.exit_code == 0 and "Energy (J, estimate at 1e-10 J/cycle)" in result.output
    assert "| Energy (J) |" in result.output


def test_json_and_output_folder_hold_the_same_report(cli, tmp_path):
    result = run(cli, str(TINY), "--json", "--output", str(tmp_path / "reports"))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert json.loads((tmp_path / "reports" / "tiny_with_params-profile.json").read_text()) == printed
    text = (tmp_path / "reports" / "tiny_with_params-profile.txt").read_text()
    assert text.startswith("Profiling Summary") and "Model Layers" in text
    assert printed["macs"] == 1_714_464 and printed["arena_bytes"] > printed["arena_device_bytes"] > 0


def test_archive_is_profiled_like_its_tflite(cli, tmp_path):
    archive = tmp_path / "tiny.harken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("tiny.tflite", TINY.read_bytes())
        z.writestr("tiny.float32.tflite", b"not used")
    result = run(cli, str(archive), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ops"] == 3_542_130


def cli_error(*args: str, tmp_path: Path) -> tuple[int, str]:
    """Exit code and stderr of the real ``harken`` entry point (HarkenError -> one line, exit code 2)."""
    proc = subprocess.run([sys.executable, "-m", "harken", "profile", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    return proc.returncode, proc.stderr.strip()


@pytest.mark.parametrize(("case", "expected"), [
    ("corrupt", r"^error: .*bad\.tflite: .*(damaged|truncated)"),
    ("float", r"^error: .*sine\.tflite: a float32 model"),
    ("target", r"^error: --target 'cortex-m0': unknown target; choose one of cortex-m33"),
    ("clock", r"^error: --clock-hz=0: must be a positive number"),
])
def test_bad_input_is_one_line_error_with_exit_code_2(case, expected, tmp_path):
    import tflite_micro

    bad = tmp_path / "bad.tflite"
    bad.write_bytes(TINY.read_bytes()[:4000])
    sine = tmp_path / "sine.tflite"
    sine.write_bytes((Path(tflite_micro.__file__).parent / "python" / "tflite_micro" / "sine_float.tflite").read_bytes())
    args = {"corrupt": [str(bad)], "float": [str(sine)], "target": [str(TINY), "--target", "cortex-m0"],
            "clock": [str(TINY), "--clock-hz", "0"]}[case]
    code, stderr = cli_error(*args, tmp_path=tmp_path)
    assert code == 2 and len(stderr.splitlines()) == 1 and re.match(expected, stderr), stderr


def test_spec_without_trained_model_asks_for_build(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    result = run(cli, "keyword_spotting_on_off")
    assert result.exit_code != 0 and "--build" in str(result.exception)
