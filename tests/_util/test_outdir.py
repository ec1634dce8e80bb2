"""output_folder: a failed write leaves no half-made folder and is one OutputError line."""

from __future__ import annotations

import errno

import pytest

from harken._util.outdir import output_folder
from harken.errors import OutputError


def test_output_folder_creates_the_folder_and_its_parents(tmp_path):
    with output_folder(tmp_path / "a" / "b") as out:
        (out / "x.txt").write_text("x")
    assert (tmp_path / "a" / "b" / "x.txt").read_text() == "x"


def test_a_failed_write_removes_the_empty_folders_it_made(tmp_path):
    with pytest.raises(OutputError, match=r"a/b/x.txt: cannot write it \(No space left on device\); free some space"):
        with output_folder(tmp_path / "a" / "b") as out:
            raise OSError(errno.ENOSPC, "No space left on device", str(out / "x.txt"))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_a_folder_that_existed(tmp_path):
    (tmp_path / "keep").mkdir()
    with pytest.raises(OutputError, match="Permission denied"):
        with output_folder(tmp_path / "keep"):
            raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "keep" / "y"))
    assert (tmp_path / "keep").is_dir()


def test_a_folder_with_files_in_it_is_never_removed(tmp_path):
    with pytest.raises(ValueError):
        with output_folder(tmp_path / "new") as out:
            (out / "written.txt").write_text("x")
            raise ValueError("a bug, not an OSError: passed on")
    assert (tmp_path / "new" / "written.txt").exists()


def test_a_file_in_the_way_of_the_folder_is_an_output_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="file"):
        with output_folder(tmp_path / "file" / "sub"):
            pass
    assert (tmp_path / "file").read_text() == "x"
