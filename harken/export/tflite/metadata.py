"""Named metadata buffers of a .tflite model: read one, or write a copy of the model with one replaced.

In: .tflite bytes (or a path) and a metadata name such as ``SL_PARAMSv1``.
Out: the raw metadata bytes, or new .tflite bytes in which only that metadata buffer changed
(operators, tensors, weights, signatures and the other metadata entries are kept).

Uses only the .tflite schema shipped with ``ai-edge-litert`` and ``flatbuffers``: importing or
calling this module never imports TensorFlow. It does not interpret the metadata contents
(:mod:`harken.export.tflite.dictionary` does).
"""

from __future__ import annotations

import os
from pathlib import Path

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

from harken._util.atomic import write_bytes_atomic
from harken.errors import ModelFileError

_FILE_IDENTIFIER = b"TFL3"


def load_model_bytes(model: str | os.PathLike | bytes | bytearray | memoryview) -> tuple[bytes, str]:
    """Return ``(bytes, source name)`` for a path or for bytes already in memory."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        data, source = bytes(model), "<tflite bytes>"
    else:
        path = Path(model)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ModelFileError(
                f"{path}: cannot read the .tflite file ({exc.strerror}); check the path"
            ) from None
        source = str(path)
    check_tflite(data, source)
    return data, source


def check_tflite(data: bytes, source: str) -> None:
    """Raise ModelFileError unless ``data`` looks like a .tflite FlatBuffer."""
    if len(data) < 8 or data[4:8] != _FILE_IDENTIFIER:
        raise ModelFileError(
            f"{source}: not a .tflite model (no 'TFL3' identifier in the first 8 bytes); "
            "pass the .tflite file written by the converter"
        )


def _root(data: bytes, source: str) -> schema.Model:
    try:
        return schema.Model.GetRootAs(data, 0)
    except Exception as exc:  # flatbuffers raises plain struct/index errors on garbage
        raise ModelFileError(f"{source}: cannot parse the .tflite model ({exc})") from None


def metadata_names(model: str | os.PathLike | bytes) -> list[str]:
    """Names of the model's metadata entries, in stored order (duplicates kept)."""
    data, source = load_model_bytes(model)
    root = _root(data, source)
    return [root.Metadata(i).Name().decode("utf-8") for i in range(root.MetadataLength())]


def read_metadata(model: str | os.PathLike | bytes, name: str) -> bytes | None:
    """Return the raw bytes of metadata entry ``name`` (the first one), or None if absent.

    Handles both buffer layouts: data inside the FlatBuffer, and data stored after it at an
    ``offset``/``size`` (models over 2 GB).
    """
    data, source = load_model_bytes(model)
    root = _root(data, source)
    for i in range(root.MetadataLength()):
        entry = root.Metadata(i)
        if entry.Name().decode("utf-8") != name:
            continue
        index = entry.Buffer()
        if not 0 <= index < root.BuffersLength():
            raise ModelFileError(
                f"{source}: metadata {name!r} points at buffer {index}, but the model has "
                f"{root.BuffersLength()} buffers; the file is damaged: re-export it"
            )
        buffer = root.Buffers(index)
        if buffer.Offset() > 1:
            start, size = buffer.Offset(), buffer.Size()
            if start + size > len(data):
                raise ModelFileError(
                    f"{source}: metadata {name!r} lies beyond the end of the file "
                    f"(offset {start} + size {size} > {len(data)} bytes); the file is truncated"
                )
            return data[start : start + size]
        if buffer.DataIsNone():
            return b""
        return buffer.DataAsNumpy().tobytes()
    return None


def write_metadata(model: str | os.PathLike | bytes, name: str, value: bytes) -> bytes:
    """Return new .tflite bytes in which metadata entry ``name`` holds ``value``.

    An existing entry keeps its place and buffer index; a new one is appended. The whole
    FlatBuffer is rebuilt with the schema's object API, everything else unchanged; the bytes
    are those other object-API writers (the reference toolkit) produce for the same model, so
    an md5 over the result is reproducible across tools.

    Raises
    ------
    ModelFileError
        For a model whose buffers live outside the FlatBuffer (``offset``/``size``, used for
        models over 2 GB): rewriting would move that data.
    """
    data, source = load_model_bytes(model)
    root = _root(data, source)
    for i in range(root.BuffersLength()):
        if root.Buffers(i).Offset() > 1:
            raise ModelFileError(
                f"{source}: buffer {i} is stored outside the FlatBuffer (offset/size layout of "
                "models over 2 GB); harken cannot rewrite such a model: embed the metadata "
                "before the model grows past 2 GB, or use a smaller model"
            )
    model_t = schema.ModelT.InitFromObj(root)
    model_t.buffers = list(model_t.buffers or [])
    model_t.metadata = list(model_t.metadata or [])
    payload = np.frombuffer(bytes(value), dtype=np.uint8)
    for entry in model_t.metadata:
        if _text(entry.name) == name:
            model_t.buffers[entry.buffer].data = payload
            break
    else:
        model_t.buffers.append(schema.BufferT(data=payload))
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = len(model_t.buffers) - 1
        model_t.metadata.append(entry)

    builder = flatbuffers.Builder(len(data) + len(value) + 1024)
    builder.Finish(model_t.Pack(builder), file_identifier=_FILE_IDENTIFIER)
    return bytes(builder.Output())


def _text(value: str | bytes | None) -> str | None:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def write_file_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then move it into place."""
    try:
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write the model file ({exc.strerror})") from None
