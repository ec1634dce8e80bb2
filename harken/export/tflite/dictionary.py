"""The ``SL_PARAMSv1`` FlatBuffer dictionary: typed key/value settings as bytes and back.

In: an ordered mapping of setting names to Python values (bool, int, float, str, bytes, or a
list of str/int/float), or to :class:`TypedValue` pairs that fix the stored type.
Out: the FlatBuffer ``Dictionary`` that microcontroller firmware reads from a .tflite metadata
entry, and the reverse (bytes -> typed values, in stored order).

Schema (written by hand here, no generated code)::

    table Dictionary { schema_version: uint8 (= 1); entries: [Entry]; }
    table Entry      { key: string; value: Value; }      // union: value_type + value
    union Value { BoolValue, Int8Value, Uint8Value, Int16Value, Uint16Value, Int32Value,
                  Uint32Value, Int64Value, Uint64Value, FloatValue, DoubleValue, StringValue,
                  StringList, Int32List, FloatList, BinaryValue }

Scalar tables have one field ``value``; the others one field ``data``.

It does not touch .tflite files: see :mod:`harken.export.tflite.params` for that.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, NamedTuple

import flatbuffers
import numpy as np
from flatbuffers import number_types as N
from flatbuffers.table import Table

from harken.errors import ModelFileError, SettingsError

SCHEMA_VERSION = 1

#: Union member names, in union order: the type code of a name is its index + 1.
TYPE_NAMES = (
    "boolean", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64",
    "f32", "f64", "str", "str_list", "int32_list", "float_list", "bin",
)  # fmt: skip
_CODE = {name: code for code, name in enumerate(TYPE_NAMES, start=1)}

# scalar type name -> (flatbuffers number type, python kind)
_SCALARS = {
    "boolean": N.BoolFlags,
    "i8": N.Int8Flags,
    "u8": N.Uint8Flags,
    "i16": N.Int16Flags,
    "u16": N.Uint16Flags,
    "i32": N.Int32Flags,
    "u32": N.Uint32Flags,
    "i64": N.Int64Flags,
    "u64": N.Uint64Flags,
    "f32": N.Float32Flags,
    "f64": N.Float64Flags,
}
_INT_RANGES = {
    "i8": (-(2**7), 2**7 - 1),
    "u8": (0, 2**8 - 1),
    "i16": (-(2**15), 2**15 - 1),
    "u16": (0, 2**16 - 1),
    "i32": (-(2**31), 2**31 - 1),
    "u32": (0, 2**32 - 1),
    "i64": (-(2**63), 2**63 - 1),
    "u64": (0, 2**64 - 1),
}
# The float32 normal range: values inside it are stored as f32, everything else (0.0,
# negatives, subnormals, huge values, inf/nan) as f64. This is the typing the existing
# firmware-side tools produce, so a harken model reads the same on the device.
_F32_MIN_NORMAL = 1.175494351e-38
_F32_MAX = 3.402823466e38


class TypedValue(NamedTuple):
    """A value with the dictionary type it is (or will be) stored as.

    Examples
    --------
    >>> TypedValue("u32", 5)
    TypedValue(type_name='u32', value=5)
    """

    type_name: str
    value: Any


def infer_type(value: Any, *, key: str = "?") -> TypedValue:
    """Give ``value`` the smallest dictionary type that holds it.

    bool -> ``boolean``; int >= 0 -> ``u8``/``u16``/``u32``/``u64``; int < 0 ->
    ``i8``/``i16``/``i32``/``i64``; float -> ``f32`` inside the float32 normal range
    [1.18e-38, 3.40e38], else ``f64`` (so 0.0 and negative floats are ``f64``); str -> ``str``;
    bytes -> ``bin``; list/tuple typed by its first element (``str_list``, ``int32_list``,
    ``float_list``; an empty list is ``str_list``).

    Raises
    ------
    SettingsError
        For a type that cannot be stored, an int beyond 64 bits or a mixed list.

    Examples
    --------
    >>> infer_type(60000)
    TypedValue(type_name='u16', value=60000)
    >>> infer_type(-2.5).type_name
    'f64'
    """
    if isinstance(value, TypedValue):
        return _check_typed(value, key)
    if isinstance(value, (bool, np.bool_)):
        return TypedValue("boolean", bool(value))
    if isinstance(value, (int, np.integer)):
        v = int(value)
        names = ("u8", "u16", "u32", "u64") if v >= 0 else ("i8", "i16", "i32", "i64")
        for name in names:
            lo, hi = _INT_RANGES[name]
            if lo <= v <= hi:
                return TypedValue(name, v)
        raise SettingsError(
            f"model parameter {key!r}: integer {v} does not fit in 64 bits; "
            "store it as a string or a smaller number"
        )
    if isinstance(value, (float, np.floating)):
        v = float(value)
        name = "f32" if _F32_MIN_NORMAL <= v <= _F32_MAX else "f64"
        return TypedValue(name, v)
    if isinstance(value, str):
        return TypedValue("str", value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return TypedValue("bin", bytes(value))
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if not value or isinstance(value[0], str):
            return _check_typed(TypedValue("str_list", list(value)), key)
        if isinstance(value[0], (int, np.integer)) and not isinstance(value[0], (bool, np.bool_)):
            return _check_typed(TypedValue("int32_list", list(value)), key)
        if isinstance(value[0], (float, np.floating)):
            return _check_typed(TypedValue("float_list", list(value)), key)
    raise SettingsError(
        f"model parameter {key!r}: cannot store a value of type {type(value).__name__} "
        f"({value!r}); use bool, int, float, str, bytes or a list of str/int/float"
    )


def _check_typed(typed: TypedValue, key: str) -> TypedValue:
    """Check that ``typed.value`` fits ``typed.type_name``; return it normalised."""
    name, value = typed
    if name not in _CODE:
        raise SettingsError(
            f"model parameter {key!r}: unknown type {name!r}; use one of {', '.join(TYPE_NAMES)}"
        )
    try:
        if name == "boolean":
            return TypedValue(name, bool(value))
        if name in _INT_RANGES:
            lo, hi = _INT_RANGES[name]
            if isinstance(value, (bool, np.bool_)) or int(value) != value or not lo <= value <= hi:
                raise ValueError(f"needs an integer in [{lo}, {hi}]")
            return TypedValue(name, int(value))
        if name in ("f32", "f64"):
            return TypedValue(name, float(value))
        if name == "str":
            if not isinstance(value, str):
                raise ValueError("needs a str")
            return typed
        if name == "bin":
            return TypedValue(name, bytes(value))
        items = list(value)
        if name == "str_list":
            if not all(isinstance(x, str) for x in items):
                raise ValueError("needs every entry to be a str")
        elif name == "int32_list":
            lo, hi = _INT_RANGES["i32"]
            ok = all(
                isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))
                and lo <= x <= hi
                for x in items
            )  # fmt: skip
            if not ok:
                raise ValueError(f"needs every entry to be an integer in [{lo}, {hi}]")
            items = [int(x) for x in items]
        else:  # float_list
            if not all(isinstance(x, (int, float, np.integer, np.floating)) for x in items) or any(
                isinstance(x, (bool, np.bool_)) for x in items
            ):
                raise ValueError("needs every entry to be a number")
            items = [float(x) for x in items]
        return TypedValue(name, items)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"model parameter {key!r}: value {value!r} cannot be stored as {name}: {exc}"
        ) from None


def encode_dictionary(params: Mapping[str, Any]) -> bytes:
    """Serialise ``params`` (in iteration order) as an ``SL_PARAMSv1`` dictionary.

    Parameters
    ----------
    params : Mapping[str, Any]
        Setting name -> value; plain values get :func:`infer_type`, :class:`TypedValue`
        entries keep their type.

    Returns
    -------
    bytes
        The FlatBuffer (schema_version 1).

    Examples
    --------
    >>> decode_dictionary(encode_dictionary({"version": 3}))
    {'version': TypedValue(type_name='u8', value=3)}
    """
    typed = {}
    for key, value in params.items():
        if not isinstance(key, str):
            raise SettingsError(f"model parameter key {key!r} is not a str; keys must be strings")
        typed[key] = infer_type(value, key=key)

    builder = flatbuffers.Builder(1024)
    entries = []
    for key, (name, value) in typed.items():
        key_offset = builder.CreateString(key)
        value_offset = _pack_value(builder, name, value)
        builder.StartObject(3)
        # Field order key, value, value_type: the byte layout the reference tools write.
        builder.PrependUOffsetTRelativeSlot(0, key_offset, 0)
        builder.PrependUOffsetTRelativeSlot(2, value_offset, 0)
        builder.PrependUint8Slot(1, _CODE[name], 0)
        entries.append(builder.EndObject())
    builder.StartVector(4, len(entries), 4)
    for offset in reversed(entries):
        builder.PrependUOffsetTRelative(offset)
    entries_vector = builder.EndVector()
    builder.StartObject(2)
    builder.PrependUint8Slot(0, SCHEMA_VERSION, 0)
    builder.PrependUOffsetTRelativeSlot(1, entries_vector, 0)
    builder.Finish(builder.EndObject())
    return bytes(builder.Output())


def _pack_value(builder: flatbuffers.Builder, name: str, value: Any) -> int:
    """Write one value table (``value`` or ``data`` field) and return its offset."""
    if name in _SCALARS:
        builder.StartObject(1)
        flags = _SCALARS[name]
        builder.PrependSlot(flags, 0, value, flags.py_type(0))
        return builder.EndObject()
    if name == "str":
        data = builder.CreateString(value)
    elif name == "bin":
        data = builder.CreateByteVector(value)
    elif name == "int32_list":
        data = builder.CreateNumpyVector(np.asarray(value, dtype="<i4").reshape(-1))
    elif name == "float_list":
        data = builder.CreateNumpyVector(np.asarray(value, dtype="<f4").reshape(-1))
    else:  # str_list
        strings = [builder.CreateString(s) for s in value]
        builder.StartVector(4, len(strings), 4)
        for offset in reversed(strings):
            builder.PrependUOffsetTRelative(offset)
        data = builder.EndVector()
    builder.StartObject(1)
    builder.PrependUOffsetTRelativeSlot(0, data, 0)
    return builder.EndObject()


def decode_dictionary(data: bytes | bytearray | memoryview, *, source: str = "buffer") -> dict:
    """Read an ``SL_PARAMSv1`` dictionary into ``{key: TypedValue}``, in stored order.

    Parameters
    ----------
    data : bytes
        The FlatBuffer, as stored in the metadata buffer.
    source : str
        Where the bytes came from, for error messages (a file name).

    Raises
    ------
    ModelFileError
        For a wrong schema version, an unknown value type or a truncated buffer.
    """
    buf = bytearray(data)
    if len(buf) < 8:
        raise ModelFileError(f"{source}: SL_PARAMSv1 buffer of {len(buf)} bytes is too short for a parameter "
                             "dictionary; re-embed the model parameters with harken")
    try:
        root = Table(buf, flatbuffers.encode.Get(N.UOffsetTFlags.packer_type, buf, 0))
        version = _scalar(root, 0, N.Uint8Flags)
        if version != SCHEMA_VERSION:
            raise ModelFileError(
                f"{source}: SL_PARAMSv1 schema_version is {version}, expected {SCHEMA_VERSION}; "
                "the model was written by an incompatible tool: re-embed its parameters"
            )
        result: dict[str, TypedValue] = {}
        offset = root.Offset(6)
        if offset == 0:
            return result
        vector = root.Vector(offset)
        _check_vector_length(root.VectorLen(offset), 4, vector, len(buf))
        for i in range(root.VectorLen(offset)):
            entry = Table(buf, root.Indirect(vector + 4 * i))
            key_offset = entry.Offset(4)
            key = entry.String(key_offset + entry.Pos).decode("utf-8") if key_offset else ""
            code = _scalar(entry, 1, N.Uint8Flags)
            if not 1 <= code <= len(TYPE_NAMES):
                raise ModelFileError(
                    f"{source}: SL_PARAMSv1 entry {key!r} has unknown value type {code}; "
                    "re-embed the model parameters with harken"
                )
            value_offset = entry.Offset(8)
            value_table = Table(buf, entry.Indirect(value_offset + entry.Pos)) if value_offset else None
            result[key] = _unpack_value(TYPE_NAMES[code - 1], value_table)
        return result
    except ModelFileError:
        raise
    except (struct.error, IndexError, TypeError, ValueError, UnicodeDecodeError, OverflowError, AttributeError) as exc:
        detail = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise ModelFileError(
            f"{source}: SL_PARAMSv1 buffer is not a valid parameter dictionary ({detail}); "
            "the model file may be damaged or truncated: re-export it"
        ) from None


def _check_vector_length(length: int, item_size: int, start: int, buffer_size: int) -> None:
    """Raise IndexError when a vector of ``length`` items cannot fit in the buffer (damaged length)."""
    if length < 0 or start + length * item_size > buffer_size:
        raise IndexError(f"a vector of {length} entries at byte {start} overruns the {buffer_size}-byte buffer")


def _scalar(table: Table, slot: int, flags: Any) -> Any:
    offset = table.Offset(4 + 2 * slot)
    return table.Get(flags, offset + table.Pos) if offset else flags.py_type(0)


def _unpack_value(name: str, table: Table | None) -> TypedValue:
    if name in _SCALARS:
        value = _scalar(table, 0, _SCALARS[name]) if table is not None else _SCALARS[name].py_type(0)
        if name == "boolean":
            value = bool(value)
        elif name in ("f32", "f64"):
            value = float(value)
        return TypedValue(name, value)
    offset = table.Offset(4) if table is not None else 0
    if name == "str":
        return TypedValue(name, table.String(offset + table.Pos).decode("utf-8") if offset else "")
    if not offset:
        return TypedValue(name, b"" if name == "bin" else [])
    if name == "str_list":
        start = table.Vector(offset)
        _check_vector_length(table.VectorLen(offset), 4, start, len(table.Bytes))
        items = [
            table.String(start + 4 * i).decode("utf-8") for i in range(table.VectorLen(offset))
        ]
        return TypedValue(name, items)
    dtype = {"bin": N.Uint8Flags, "int32_list": N.Int32Flags, "float_list": N.Float32Flags}[name]
    array = table.GetVectorAsNumpy(dtype, offset)
    if name == "bin":
        return TypedValue(name, array.tobytes())
    return TypedValue(name, [int(x) for x in array] if name == "int32_list" else [float(x) for x in array])

