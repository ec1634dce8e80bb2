"""The CLI over the bad-input corpus: every case exits 2 with one line naming the file and the problem,
prints no traceback and leaves its target as it was (issue 26, items 3-5 and 7).

The commands run in this process through ``harken.cli.app.run`` (the real error handling of
``harken``), so an exception that escapes it fails the test with its traceback; a few cases also run
as a real ``python -m harken`` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability import corpus
from tests.reliability.corpus import run_cli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return corpus.build_files(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def readonly(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readonly_parent") / "readonly"
    usable = corpus.make_readonly(folder)
    yield folder if usable else None
    if usable:
        corpus.undo_readonly(folder)


class _FakeFiles(dict):
    """Any file name of the corpus, as a path that is never opened (the case names only are needed)."""

    def __missing__(self, key: str) -> Path:
        return Path(f"/x/{key}")


def _case_names() -> list[str]:
    return [c.name for c in corpus.cases(_FakeFiles(), Path("/nonexistent/out"), Path("/nonexistent/ro"))]


@pytest.mark.parametrize("name", _case_names())
def test_bad_input_is_one_error_line_with_exit_code_2_and_changes_nothing(name, files, readonly, tmp_path,
                                                                           monkeypatch, capsys):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    corpus.copy_model(tmp_path / "out")
    case = {c.name: c for c in corpus.cases(files, tmp_path / "out", readonly or tmp_path / "ro")}[name]
    if case.needs == "readonly" and readonly is None:
        pytest.skip("no read-only folder here (root without the right to mount a read-only tmpfs)")
    before = corpus.snapshot(case.target)
    if case.enospc:
        monkeypatch.setattr(os, "replace", corpus.enospc_replace)
    code, out, err = run_cli(case.argv, monkeypatch, capsys)
    monkeypatch.undo()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"exit {code}; stdout {out!r}; stderr {err!r}"
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("error: "), err
    for text in case.expect:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    if case.expect[0].startswith("/"):
        assert lines[0].count(case.expect[0]) == 1, f"file named more than once: {lines[0]!r}"
    assert "<tflite bytes>" not in lines[0] and "System error" not in lines[0]
    assert corpus.snapshot(case.target) == before, f"{case.target} changed"


@pytest.mark.parametrize("argv_of", [
    lambda f: ["summarize", str(f["truncated"])],
    lambda f: ["update-params", str(f["bad_params"]), "suppression_ms=500"],
    lambda f: ["train", str(f["wav"])],
])  # fmt: skip
def test_the_harken_process_prints_one_line_and_no_traceback(argv_of, files):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run([sys.executable, "-m", "harken", *argv_of(files)], capture_output=True, text=True,
                            env=env, timeout=300)  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


# ---- item 3: one bad clip never sinks a run; every skip is listed ------------------------------------


def _skipped_reasons(skipped: list[dict]) -> dict[str, str]:
    return {Path(row["path"]).name: row["reason"] for row in skipped}


def test_evaluate_leaves_out_bad_clips_and_lists_each_with_its_reason(files, tmp_path, monkeypatch, capsys):
    code, out, err = run_cli(["evaluate", str(files["good"]), "-d", str(files["mixed"]), "-o", str(tmp_path), "-q",
                              "--no-plots"], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    results = json.loads((tmp_path / "eval-results.json").read_text())
    reasons = _skipped_reasons(results["skipped_files"])
    assert set(reasons) == {"nan_spk5_nohash_0.wav", "loop_a.wav", "loop_b.wav", "cut_spk6_nohash_0.wav"}
    assert "NaN" in reasons["nan_spk5_nohash_0.wav"] and "truncated" in reasons["cut_spk6_nohash_0.wav"]
    assert "symbolic links" in reasons["loop_a.wav"]
    assert results["num_clips"] == 7  # the 6 good clips and the valid wav with a non-UTF-8 name
    predictions = (tmp_path / "eval-predictions.csv").read_text(encoding="utf-8")
    assert "caf\\xe9_spk7_nohash_0.wav" in predictions


def test_evaluate_summary_says_how_many_files_were_left_out(files, tmp_path, monkeypatch, capsys):
    code, out, err = run_cli(["evaluate", str(files["good"]), "-d", str(files["mixed"]), "-o", str(tmp_path),
                              "--no-plots"], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    assert "4 file(s) left out" in out and "eval-results.json (skipped_files)" in out


def test_calibrate_leaves_out_a_nan_clip_and_lists_it(files, tmp_path, monkeypatch, capsys):
    code, out, err = run_cli(["calibrate", str(files["good"]), "-d", str(files["mixed"]), "--dry-run", "--json"],
                             monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    reasons = _skipped_reasons(json.loads(out)["skipped_files"])
    assert "NaN" in reasons["nan_spk5_nohash_0.wav"] and len(reasons) == 4


def test_datasets_info_lists_a_symlink_loop_as_a_bad_file(files, monkeypatch, capsys):
    code, out, err = run_cli(["datasets", "info", str(files["mixed"]), "--json", "--no-cache"], monkeypatch, capsys)
    assert code == 0, err
    reasons = _skipped_reasons(json.loads(out)["bad_files"])
    assert "symbolic links" in reasons["loop_a.wav"] and "symbolic links" in reasons["loop_b.wav"]


def test_a_valid_wav_with_a_non_utf8_name_is_read(files):
    from harken.audio.io import read_audio

    path = os.path.join(os.fsencode(files["mixed"] / "on"), corpus.NON_UTF8_NAME)
    samples, rate = read_audio(os.fsdecode(path))
    assert rate == corpus.RATE and samples.size == corpus.RATE


def test_features_of_a_valid_wav_with_a_non_utf8_name_keeps_the_name_escaped(files, tmp_path, monkeypatch, capsys):
    import numpy as np

    path = os.fsdecode(os.path.join(os.fsencode(files["mixed"] / "on"), corpus.NON_UTF8_NAME))
    code, out, err = run_cli(["features", path, "-o", str(tmp_path / "f.npz")], monkeypatch, capsys)
    assert code == 0, err
    assert list(np.load(tmp_path / "f.npz")) == ["caf\\xe9_spk7_nohash_0.wav"]


@pytest.mark.parametrize("command", ["features", "view-audio"])
def test_a_truncated_wav_is_used_with_a_warning(command, files, tmp_path, monkeypatch, capsys, caplog):
    argv = [command, str(files["truncated_wav"]), "-o", str(tmp_path / "x.npz" if command == "features" else tmp_path)]
    argv += ["--count", "1", "--no-rooms"] if command == "view-audio" else []
    code, out, err = run_cli(argv, monkeypatch, capsys)
    assert code == 0, err
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(str(files["truncated_wav"]) in w and "truncated" in w for w in warnings), warnings


def test_a_symlink_loop_is_named_as_such_not_as_a_missing_file(files):
    from harken.audio.io import read_audio
    from harken.errors import AudioError

    with pytest.raises(AudioError, match="loop1.wav: cannot open the file .*symbolic links"):
        read_audio(files["loop_wav"])
