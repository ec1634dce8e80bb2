"""Spectrogram pictures are written like every other output: atomically, through symlinks."""

from __future__ import annotations

import os

import numpy as np
import pytest

from harken.errors import OutputError
from harken.frontend import FrontendSettings
from harken.frontend.files import save_pngs
from tests._util.fsize import file_size_limit

SPEC = np.arange(49 * 16, dtype=np.int8).reshape(49, 16)


def test_save_pngs_on_a_full_disk_keeps_the_earlier_picture_whole(tmp_path):
    (tmp_path / "clip.png").write_bytes(b"\x89PNG earlier picture")
    with pytest.raises(OutputError, match=r"clip|test_save_pngs"):  # one line naming where, not a traceback
        with file_size_limit(1000):  # the disk fills after 1000 bytes of the new picture
            save_pngs(tmp_path, {"clip.wav": SPEC}, FrontendSettings())
    assert (tmp_path / "clip.png").read_bytes() == b"\x89PNG earlier picture"
    assert os.listdir(tmp_path) == ["clip.png"]


def test_save_pngs_writes_through_a_symlink(tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "clip.png").symlink_to(tmp_path / "store" / "clip.png")
    (written,) = save_pngs(tmp_path / "out", {"clip.wav": SPEC}, FrontendSettings())
    assert written.is_symlink() and (tmp_path / "store" / "clip.png").read_bytes()[:4] == b"\x89PNG"
    assert os.listdir(tmp_path / "out") == ["clip.png"]
