"""``harken datasets list|download|info``: thin commands over the dataset library."""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from harken.cli.datasets import app
from harken.errors import DatasetError

runner = CliRunner()


@pytest.fixture(autouse=True)
def harken_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))


@pytest.fixture
def words(tmp_path) -> Path:
    root = tmp_path / "words"
    clip = (np.sin(np.arange(1600) * 0.1) * 5000).astype(np.int16)
    for word, speakers in (("on", ["aa01", "bb02", "cc03"]), ("off", ["aa01", "dd04"]), ("yes", ["ee05"])):
        for speaker in speakers:
            (root / word).mkdir(parents=True, exist_ok=True)
            sf.write(root / word / f"{speaker}_nohash_0.wav", clip, 16000, subtype="PCM_16")
    (root / "on" / "broken_nohash_0.wav").write_bytes(b"")
    return root


def test_info_prints_counts_per_class_split_and_the_bad_files(words):
    result = runner.invoke(app, ["info", str(words), "--keywords", "on,off"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    on_row = next(line for line in lines if line.startswith("on "))
    assert on_row.split()[-2:] == ["3", "3"]  # total, speakers
    assert any(line.startswith("_unknown_ ") for line in lines)
    assert "bad files left out: 1" in result.output
    assert "broken_nohash_0.wav: empty file (0 bytes)" in result.output


def test_info_json_has_classes_splits_speakers_and_bad_files(words):
    result = runner.invoke(app, ["info", str(words), "--keywords", "on,off", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["classes"] == ["on", "off", "_unknown_"]
    assert report["per_class"]["off"]["total"] == 2
    assert report["speakers"]["aa01"] == 2
    assert sum(report["splits"].values()) == 6
    assert [Path(b["path"]).name for b in report["bad_files"]] == ["broken_nohash_0.wav"]


def test_info_strict_fails_on_a_bad_file(words):
    result = runner.invoke(app, ["info", str(words), "--strict"])
    assert isinstance(result.exception, DatasetError)
    assert "broken_nohash_0.wav: empty file" in str(result.exception)


def test_info_strict_error_exits_2_through_the_harken_entry_point(words, monkeypatch, capsys):
    from harken.cli import main as cli

    monkeypatch.setattr(sys, "argv", ["harken", "datasets", "info", str(words), "--strict"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_info_per_speaker_lists_each_speaker(words):
    result = runner.invoke(app, ["info", str(words), "--per-speaker"])
    assert result.exit_code == 0 and "  aa01" in result.output


def test_list_shows_known_sources_and_cache_state(tmp_path):
    result = runner.invoke(app, ["list", "--json"])
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert set(rows) >= {"speech_commands_v2", "esc50", "mit_ir_survey"}
    assert rows["speech_commands_v2"]["cached"] is False
    done = tmp_path / "home" / "datasets" / "esc50"
    (done / "ESC-50-master").mkdir(parents=True)
    (done / ".harken-complete").write_text("{}")
    rows = {row["name"]: row for row in json.loads(runner.invoke(app, ["list", "--json"]).output)}
    assert rows["esc50"]["cached"] is True and rows["esc50"]["path"].endswith("ESC-50-master")
    assert "not downloaded" in runner.invoke(app, ["list"]).output


def test_download_url_with_hash_prints_the_dataset_folder(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("on/a_nohash_0.wav")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"RIFF"))
    (served / "mini.tar.gz").write_bytes(buffer.getvalue())
    digest = hashlib.sha256(buffer.getvalue()).hexdigest()
    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = partial(QuietHandler, directory=str(served))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/mini.tar.gz"
        dest = tmp_path / "mini"
        result = runner.invoke(app, ["download", url, "--hash", f"sha256:{digest}", "--dest", str(dest), "-q"])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(dest)
    assert (dest / "on" / "a_nohash_0.wav").read_bytes() == b"RIFF"


def test_download_unknown_name_suggests_a_known_one():
    result = runner.invoke(app, ["download", "esc-50"])
    assert isinstance(result.exception, DatasetError) and "did you mean 'esc50'" in str(result.exception)


def test_info_applies_cap_and_generated_silence(words):
    args = ["info", str(words), "--keywords", "on", "--max-per-class", "2", "--silence-percentage", "50", "--json"]
    report = json.loads(runner.invoke(app, args).output)
    assert report["per_class"]["on"]["total"] == 2
    assert report["classes"] == ["on", "_unknown_", "_silence_"]
    assert report["per_class"]["_silence_"]["total"] >= 1


def test_an_unknown_option_exits_2_with_a_usage_message(monkeypatch, capsys):
    from harken.cli import main as cli

    monkeypatch.setattr(sys, "argv", ["harken", "datasets", "info", "--no-such-option"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    assert "No such option: --no-such-option" in capsys.readouterr().err
