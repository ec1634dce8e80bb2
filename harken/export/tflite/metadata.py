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
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flatbuffers
import numpy as np
from ai_edge_litert import schema_py_generated as schema

from harken._util.atomic import write_bytes_atomic
from harken.errors import ModelFileError

_FILE_IDENTIFIER = b"TFL3"


# What flatbuffers and the generated schema raise on damaged or truncated bytes: they read offsets
# without bounds checks, so garbage shows up as any of these.
PARSE_ERRORS = (struct.error, IndexError, TypeError, ValueError, UnicodeDecodeError, OverflowError,
                AttributeError, KeyError, MemoryError, RecursionError)


def load_model_bytes(
    model: str | os.PathLike | bytes | bytearray | memoryview, *, source: str | None = None
) -> tuple[bytes, str]:
    """Return ``(bytes, source name)`` for a path or for bytes already in memory.

    ``source`` names bytes in messages (the file they were read from); a path names itself.
    """
    if isinstance(model, (bytes, bytearray, memoryview)):
        data, source = bytes(model), source or "<tflite bytes>"
    else:
        path = Path(model)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read the .tflite file ({exc.strerror}); check the path") from None
        source = str(path)
    check_tflite(data, source)
    return data, source


@contextmanager
def damaged_model_errors(source: str, what: str = "the .tflite model") -> Iterator[None]:
    """Turn the plain errors flatbuffers raises on garbage into one ``ModelFileError`` naming ``source``."""
    try:
        yield
    except ModelFileError:
        raise
    except PARSE_ERRORS as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{source}: {what} is damaged or truncated ({detail}); re-export the model") from None


def check_tflite(data: bytes, source: str) -> None:
    """Raise ModelFileError unless ``data`` looks like a .tflite FlatBuffer."""
    if len(data) < 8 or data[4:8] != _FILE_IDENTIFIER:
        raise ModelFileError(
            f"{source}: not a .tflite model (no 'TFL3' identifier in the first 8 bytes); "
            "pass the .tflite file written by the converter"
        )


def _root(data: bytes, source: str) -> schema.Model:
    with damaged_model_errors(source):
        return schema.Model.GetRootAs(data, 0)


def parse_model(model: str | os.PathLike | bytes, *, source: str | None = None) -> schema.ModelT:
    """The whole model as the schema's objects, checked enough that callers can index it safely.

    Every table is read (so truncated or damaged bytes fail here, as ``ModelFileError``), and every
    index (operator codes, tensors, buffers) is checked against its list.
    """
    data, source = load_model_bytes(model, source=source)
    with damaged_model_errors(source):
        model_t = schema.ModelT.InitFromObj(_root(data, source))
    _check_indices(model_t, source)
    return model_t


def _check_indices(model_t: schema.ModelT, source: str) -> None:
    """Raise ModelFileError for a model without a subgraph or with an index beyond its list."""
    if not model_t.subgraphs:
        raise ModelFileError(f"{source}: the .tflite model has no subgraph (no operators, no tensors); re-export it")
    num_codes, num_buffers = len(model_t.operatorCodes or []), len(model_t.buffers or [])
    for g, graph in enumerate(model_t.subgraphs):
        num_tensors = len(graph.tensors or [])
        tensor_refs = [*(graph.inputs if graph.inputs is not None else ()),
                       *(graph.outputs if graph.outputs is not None else ())]  # fmt: skip
        for op in graph.operators or []:
            if not 0 <= op.opcodeIndex < num_codes:
                raise ModelFileError(f"{source}: subgraph {g} has an operator with code {op.opcodeIndex} of "
                                     f"{num_codes}; the file is damaged: re-export it")  # fmt: skip
            tensor_refs += [i for i in (*(op.inputs if op.inputs is not None else ()),
                                        *(op.outputs if op.outputs is not None else ())) if i >= 0]  # fmt: skip
        bad = [i for i in tensor_refs if not 0 <= i < num_tensors]
        bad += [t.buffer for t in graph.tensors or [] if not 0 <= t.buffer < max(num_buffers, 1)]
        if bad:
            raise ModelFileError(f"{source}: subgraph {g} refers to tensor or buffer {bad[0]}, beyond the "
                                 f"{num_tensors} tensors / {num_buffers} buffers; the file is damaged: re-export it")


def output_size(model: str | os.PathLike | bytes, *, source: str | None = None) -> int:
    """Values in the model's first output tensor (its number of classes for a classifier)."""
    model_t = parse_model(model, source=source)
    graph = model_t.subgraphs[0]
    outputs = graph.outputs if graph.outputs is not None else ()
    if len(outputs) == 0:
        raise ModelFileError(f"{source or model}: the .tflite model has no output tensor; re-export it")
    shape = graph.tensors[int(outputs[0])].shape
    return int(np.prod([int(d) for d in (shape if shape is not None else ())][1:] or [1]))


def metadata_names(model: str | os.PathLike | bytes, *, source: str | None = None) -> list[str]:
    """Names of the model's metadata entries, in stored order (duplicates kept)."""
    data, source = load_model_bytes(model, source=source)
    root = _root(data, source)
    with damaged_model_errors(source, "the metadata list of the .tflite model"):
        return [root.Metadata(i).Name().decode("utf-8") for i in range(root.MetadataLength())]


def read_metadata(model: str | os.PathLike | bytes, name: str, *, source: str | None = None) -> bytes | None:
    """Return the raw bytes of metadata entry ``name`` (the first one), or None if absent.

    Handles both buffer layouts: data inside the FlatBuffer, and data stored after it at an
    ``offset``/``size`` (models over 2 GB).
    """
    data, source = load_model_bytes(model, source=source)
    root = _root(data, source)
    with damaged_model_errors(source, "the metadata of the .tflite model"):
        return _find_metadata(root, data, name, source)


def _find_metadata(root: schema.Model, data: bytes, name: str, source: str) -> bytes | None:
    """The bytes of the first metadata entry ``name`` of a parsed root (see :func:`read_metadata`)."""
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


def write_metadata(model: str | os.PathLike | bytes, name: str, value: bytes, *, source: str | None = None) -> bytes:
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
    data, source = load_model_bytes(model, source=source)
    model_t = parse_model(data, source=source)
    for i, buffer in enumerate(model_t.buffers or []):
        if buffer.offset > 1:
            raise ModelFileError(
                f"{source}: buffer {i} is stored outside the FlatBuffer (offset/size layout of "
                "models over 2 GB); harken cannot rewrite such a model: embed the metadata "
                "before the model grows past 2 GB, or use a smaller model"
            )
    model_t.buffers = list(model_t.buffers or [])
    model_t.metadata = list(model_t.metadata or [])
    payload = np.frombuffer(bytes(value), dtype=np.uint8)
    for entry in model_t.metadata:
        if _text(entry.name) == name:
            if not 0 <= entry.buffer < len(model_t.buffers):
                raise ModelFileError(f"{source}: metadata {name!r} points at buffer {entry.buffer}, but the model has "
                                     f"{len(model_t.buffers)} buffers; the file is damaged: re-export it")
            model_t.buffers[entry.buffer].data = payload
            break
    else:
        model_t.buffers.append(schema.BufferT(data=payload))
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = len(model_t.buffers) - 1
        model_t.metadata.append(entry)

    builder = flatbuffers.Builder(len(data) + len(value) + 1024)
    with damaged_model_errors(source):
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
