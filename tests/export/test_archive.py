"""The archive: written atomically beside the spec, with everything about the model."""

from __future__ import annotations

import subprocess
import sys
import textwrap
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


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from harken.export import archive
    from harken.spec import ModelSettings, ModelSpec

    folder = Path(sys.argv[1])
    spec = ModelSpec(name="mine", classes=("on", "off"), model=ModelSettings(architecture="cnn"),
                     source_path=str(folder / "mine.py"))

    def hang(spec):  # the writer stops in the middle of the zip, as if the disk were slow
        print("writing", flush=True)
        time.sleep(600)

    archive.spec_json = hang
    archive.write_archive(spec, folder / "work")
""")


def _hidden(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_killed_writers_temporary_archive_is_removed_by_the_next_write(tmp_path):
    """kill -9 mid-write leaves a hidden temporary zip; the next write removes it, never a live writer's."""
    spec = spec_in(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "mine.tflite").write_bytes(b"model")
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        left = _hidden(tmp_path)
        assert len(left) == 1 and left[0].startswith(".mine.harken.zip.")
        write_archive(spec, work)  # another writer meanwhile: the live one's file stays
        assert _hidden(tmp_path) == left
        proc.kill()
        proc.wait()
        assert _hidden(tmp_path) == left  # SIGKILL: nothing of the writer ran to clean up
        (tmp_path / ".mine.harken.zip.notours.zip").write_bytes(b"not named as harken names its files")
        write_archive(spec, work)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _hidden(tmp_path) == [".mine.harken.zip.notours.zip"]
    assert read_archive_file(tmp_path / "mine.harken.zip", "mine.tflite") == b"model"
