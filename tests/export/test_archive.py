"""The archive: written atomically beside the spec, with everything about the model."""

from __future__ import annotations

import zipfile

import pytest

from harken.export.archive import archive_names, read_archive_file, write_archive
from harken.errors import ModelFileError
from harken.spec import ModelSettings, ModelSpec


def spec_in(folder) -> ModelSpec:
    source = folder / "mine.py"
    source.write_text("# spec\n")
    return ModelSpec(name="mine", classes=("on", "off"), model=ModelSettings(architecture="cnn"),
                     source_path=str(source))


def test_archive_holds_spec_models_and_results(tmp_path):
    spec = spec_in(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    for name in ("mine.tflite", "mine.float32.tflite", "mine.keras", "history.json", "validation_results.json"):
        (work / name).write_bytes(b"x")
    path = write_archive(spec, work)
    assert path == tmp_path.resolve() / "mine.harken.zip"
    assert set(archive_names(path)) == {"mine.py", "spec.json", "mine.tflite", "mine.float32.tflite", "mine.keras",
                                        "history.json", "validation_results.json"}
    assert read_archive_file(path, "mine.py") == b"# spec\n"


def test_failed_write_keeps_the_old_archive_and_leaves_no_temp_file(tmp_path, monkeypatch):
    spec = spec_in(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.tflite").write_bytes(b"old")
    path = write_archive(spec, work)
    (work / "mine.tflite").write_bytes(b"new")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(OSError):
        write_archive(spec, work)
    assert read_archive_file(path, "mine.tflite") == b"old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_archive_needs_the_int8_model(tmp_path):
    with pytest.raises(ModelFileError, match="run 'harken train mine' first"):
        write_archive(spec_in(tmp_path), tmp_path / "empty")
