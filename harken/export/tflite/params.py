"""Model parameters embedded in a .tflite (metadata entry ``SL_PARAMSv1``).

In: a .tflite model (path or bytes) and a mapping of settings (``name``, ``classes``,
``fe.*`` front-end settings, detection settings...).
Out: the settings read back with their stored types, or new .tflite bytes carrying them.

This is the format microcontroller firmware already reads (the vendor SDK's audio
classifier), so a harken model drops into it unchanged. Reading needs no TensorFlow. This
module does not compute the ``hash``/``date``/``runtime_memory_size`` values: callers put them
in the mapping (see :func:`harken.profile.arena.measure_arena_size`).

Examples
--------
>>> from harken.export.tflite.params import read_params  # doctest: +SKIP
>>> read_params("model.tflite")["fe.sample_rate_hz"]  # doctest: +SKIP
16000
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

from harken.errors import ModelFileError
from harken.export.tflite.dictionary import (
    TypedValue,
    decode_dictionary,
    encode_dictionary,
    infer_type,
)
from harken.export.tflite.metadata import load_model_bytes, read_metadata, write_file_atomic, write_metadata

PARAMS_METADATA_NAME = "SL_PARAMSv1"

__all__ = [
    "PARAMS_METADATA_NAME",
    "TypedValue",
    "decode_dictionary",
    "encode_dictionary",
    "params_hash",
    "read_params",
    "read_params_typed",
    "update_params",
    "write_params",
]


def read_params_typed(model: str | os.PathLike | bytes, *, source: str | None = None) -> dict[str, TypedValue]:
    """Read the embedded parameters as ``{key: TypedValue(type_name, value)}``, in stored order.

    Parameters
    ----------
    model : str, PathLike or bytes
        A .tflite file or its contents.
    source : str, optional
        The file name to give in messages when ``model`` is bytes.

    Returns
    -------
    dict
        Empty when the model has no ``SL_PARAMSv1`` entry. Type names are those of
        :data:`harken.export.tflite.dictionary.TYPE_NAMES` (``u16``, ``f32``, ``str_list``...).

    Raises
    ------
    ModelFileError
        When the file is not a .tflite model or the entry is damaged.
    """
    data, source = load_model_bytes(model, source=source)
    raw = read_metadata(data, PARAMS_METADATA_NAME, source=source)
    if raw is None:
        return {}
    return decode_dictionary(raw, source=f"{source} (metadata {PARAMS_METADATA_NAME})")


def read_params(model: str | os.PathLike | bytes, *, source: str | None = None) -> dict[str, Any]:
    """Read the embedded parameters as plain Python values (``{key: value}``, stored order).

    ``f32`` values come back as the stored float32 widened to float (0.025 reads
    0.02500000037252903); ``bin`` values as bytes.
    """
    return {key: typed.value for key, typed in read_params_typed(model, source=source).items()}


def write_params(model: str | os.PathLike | bytes, params: Mapping[str, Any], *, source: str | None = None) -> bytes:
    """Return the model's bytes with ``params`` as its ``SL_PARAMSv1`` entry (replaced whole).

    Parameters
    ----------
    model : str, PathLike or bytes
        The .tflite model.
    params : Mapping[str, Any]
        Settings in the order to store them; plain values get the smallest fitting type,
        :class:`TypedValue` entries keep theirs.

    Raises
    ------
    SettingsError
        For a value that cannot be stored.
    ModelFileError
        For a model that is unreadable or cannot be rewritten.
    """
    data, source = load_model_bytes(model, source=source)
    return write_metadata(data, PARAMS_METADATA_NAME, encode_dictionary(params), source=source)


def update_params(path: str | os.PathLike, updates: Mapping[str, Any]) -> dict[str, TypedValue]:
    """Change some parameters of a .tflite file in place; every other entry stays as it is.

    Existing keys keep their position (their type follows the new value); new keys are
    appended. The file is replaced atomically (temporary file, then ``os.replace``).

    Returns
    -------
    dict
        The parameters now stored, as :func:`read_params_typed` returns them.
    """
    data, source = load_model_bytes(path)
    params = read_params_typed(data, source=source)
    for key, value in updates.items():
        params[key] = infer_type(value, key=key)
    new_data = write_params(data, params, source=source)
    written = read_params_typed(new_data, source=source)
    if written != params:  # cheap guard: never replace a good file with a wrong one
        raise ModelFileError(f"{source}: parameters did not read back as written; file left unchanged")
    write_file_atomic(path, new_data)
    return written


def params_hash(model: str | os.PathLike | bytes, params: Mapping[str, Any], *, source: str | None = None) -> str:
    """The ``hash`` parameter: md5 (hex) of the model written with ``params``, ``hash`` and ``date`` empty.

    ``hash`` and ``date`` keep their place in ``params`` (they are added at the end if absent),
    so the figure matches what the reference toolkit stores for the same model and settings.

    Examples
    --------
    >>> params_hash(model_bytes, {"name": "m", "hash": "", "date": ""})  # doctest: +SKIP
    '18ac0a6e921438e8333af24a5c4e5f7c'
    """
    blank = dict(params)
    blank["hash"] = ""
    blank["date"] = ""
    return hashlib.md5(write_params(model, blank, source=source)).hexdigest()
