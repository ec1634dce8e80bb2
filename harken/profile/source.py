"""Which int8 .tflite a command-line model argument means: a .tflite file, an archive, or a spec name.

In: ``NAME|FILE`` as ``profile`` and ``view`` take it. Out: :class:`ModelSource` (the .tflite bytes,
a display name and the file named in errors). A .tflite or a ``.harken.zip`` needs no TensorFlow; a
spec gives its trained int8 model from its work directory, or, with ``build``, the untrained model
converted to int8 (TensorFlow, as the seeds' ``--build``).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from harken.errors import ModelFileError

__all__ = ["ModelSource", "load_model_source", "tflite_from_archive"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSource:
    """An int8 .tflite in memory, its display name and where it came from."""

    data: bytes
    name: str
    source: str
    untrained: bool = False


def load_model_source(target: str | os.PathLike, *, build: bool = False) -> ModelSource:
    """The .tflite of a ``.tflite`` file, a ``.zip`` archive or a spec (``build``: untrained, converted now).

    Raises
    ------
    ModelFileError
        For an unreadable file, or a spec with no trained model and no ``build``.
    SpecError
        For a name that is no file and no spec.
    """
    from harken.export.tflite.metadata import load_model_bytes

    text = str(target)
    path = Path(text)
    if path.suffix == ".tflite":
        data, source = load_model_bytes(path)
        return ModelSource(data=data, name=path.stem, source=source)
    if text.endswith(".zip"):
        return ModelSource(data=tflite_from_archive(path), name=path.name.split(".")[0], source=text)
    from harken.spec.loader import find_spec

    spec = find_spec(text)
    if build:
        from harken.profile.summarize import build_untrained_tflite

        return ModelSource(data=build_untrained_tflite(spec), name=spec.name, source=text, untrained=True)
    trained = spec.work_dir() / f"{spec.name}.tflite"
    if not trained.is_file():
        raise ModelFileError(f"{text}: no trained model ({trained} is missing); train it first "
                             f"(harken train {text}) or add --build to profile the untrained model")
    data, source = load_model_bytes(trained)
    return ModelSource(data=data, name=spec.name, source=source)


def tflite_from_archive(path: str | os.PathLike) -> bytes:
    """The int8 .tflite inside a ``.harken.zip`` archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".tflite") and not n.endswith(".float32.tflite")]
            if not names:
                raise ModelFileError(f"{path}: the archive holds no int8 .tflite model")
            return archive.read(names[0])
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: cannot read the archive ({exc}); re-run 'harken train'") from None
