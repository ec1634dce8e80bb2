"""``harken features --out X`` where X is not a regular file: never replaced, one line when refused."""

from __future__ import annotations

import io
import os
import stat
import sys
import threading

import numpy as np
import pytest
from typer.testing import CliRunner

from harken.cli.main import app
from tests.conftest import GOLDEN_FRONTEND

runner = CliRunner()
WAV = str(GOLDEN_FRONTEND / "inputs/16k/on_enus-f3_s150.wav")


def test_features_out_a_null_device_node_writes_into_it_and_it_stays_a_device(tmp_path):
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    result = runner.invoke(app, ["features", WAV, "--out", str(null), "-q"])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode) and os.lstat(null).st_rdev == os.makedev(1, 3)
    assert os.listdir(tmp_path) == ["null"]


def test_features_out_a_fifo_streams_the_npz_into_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    result = runner.invoke(app, ["features", WAV, "--out", str(fifo), "-q"])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert np.load(io.BytesIO(received[0]))["on_enus-f3_s150.wav"].dtype == np.int8


def test_features_out_a_symlink_updates_its_target(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "latest.npz").symlink_to("runs/a.npz")
    result = runner.invoke(app, ["features", WAV, "--out", str(tmp_path / "latest.npz"), "-q"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "latest.npz").is_symlink() and "on_enus-f3_s150.wav" in np.load(tmp_path / "runs" / "a.npz")


def test_features_out_a_folder_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    from harken.cli import main as cli

    (tmp_path / "results").mkdir()
    monkeypatch.setattr(sys, "argv", ["harken", "features", WAV, "--out", str(tmp_path / "results")])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: {tmp_path / 'results'}: is a folder, not a regular file")
    assert os.listdir(tmp_path / "results") == []
