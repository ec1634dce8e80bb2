"""``harken datasets download --dest`` never deletes a user's files; ``datasets info`` never reads a stale cache."""

from __future__ import annotations

import io
import json
import os
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
from tests.datasets.test_scan_cache import cut_in_place_keeping_size_and_times

runner = CliRunner()


@pytest.fixture(autouse=True)
def harken_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))


@pytest.fixture
def served(tmp_path):
    """A local HTTP server with mini.tar.gz; yields (its URL, the list of paths requested)."""
    folder = tmp_path / "served"
    folder.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("on/a_nohash_0.wav")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"RIFF"))
    (folder / "mini.tar.gz").write_bytes(buffer.getvalue())
    requests = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/mini.tar.gz", requests
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _harken(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    from harken.cli import main as cli

    monkeypatch.setattr(sys, "argv", ["harken", *args])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    return stopped.value.code, capsys.readouterr().err


def test_download_into_a_folder_holding_a_users_file_exits_2_and_the_file_survives(served, tmp_path, monkeypatch,
                                                                                   capsys):
    url, requests = served
    dest = tmp_path / "thesis"
    dest.mkdir()
    (dest / "chapter1.tex").write_text("\\chapter{Introduction}")
    code, err = _harken(monkeypatch, capsys, "datasets", "download", url, "--dest", str(dest), "-q")
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"error: {dest}: the folder holds 1 item(s)")
    assert "give --dest a new or empty folder" in err
    assert os.listdir(dest) == ["chapter1.tex"] and (dest / "chapter1.tex").read_text() == "\\chapter{Introduction}"
    assert requests == []
    result = runner.invoke(app, ["download", url, "--dest", str(tmp_path / "fresh"), "-q"])
    assert result.exit_code == 0 and (tmp_path / "fresh" / "on" / "a_nohash_0.wav").read_bytes() == b"RIFF"


@pytest.fixture
def words(tmp_path) -> Path:
    clip = (np.sin(np.arange(1600) * 0.1) * 5000).astype(np.int16)
    for word, speakers in (("on", ["aa01", "bb02"]), ("off", ["cc03", "dd04"])):
        (tmp_path / "words" / word).mkdir(parents=True)
        for speaker in speakers:
            sf.write(tmp_path / "words" / word / f"{speaker}_nohash_0.wav", clip, 16000, subtype="PCM_16")
    return tmp_path / "words"


def _bad_files(*args: str) -> list[str]:
    result = runner.invoke(app, ["info", *args, "--json"])
    assert result.exit_code == 0, result.output
    return [Path(b["path"]).name for b in json.loads(result.output)["bad_files"]]


def test_info_sees_a_clip_rewritten_in_place_as_no_cache_does(words):
    assert _bad_files(str(words)) == []
    cut_in_place_keeping_size_and_times(words / "off" / "cc03_nohash_0.wav")
    assert _bad_files(str(words)) == _bad_files(str(words), "--no-cache") == ["cc03_nohash_0.wav"]


def test_info_check_full_catches_the_cut_wav_that_check_header_catches(words):
    cut_in_place_keeping_size_and_times(words / "on" / "aa01_nohash_0.wav")
    assert _bad_files(str(words), "--check", "header") == ["aa01_nohash_0.wav"]
    assert _bad_files(str(words), "--check", "full") == ["aa01_nohash_0.wav"]
