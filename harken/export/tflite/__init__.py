"""FlatBuffer helpers for .tflite files: embedded model parameters and the TFLM arena size.

Importing this package never imports TensorFlow.
"""

from harken.profile.arena import ArenaUsage, measure_arena, measure_arena_size
from harken.export.tflite.dictionary import TYPE_NAMES, TypedValue, decode_dictionary, encode_dictionary
from harken.export.tflite.params import (
    PARAMS_METADATA_NAME,
    params_hash,
    read_params,
    read_params_typed,
    update_params,
    write_params,
)

__all__ = [
    "PARAMS_METADATA_NAME",
    "TYPE_NAMES",
    "ArenaUsage",
    "TypedValue",
    "decode_dictionary",
    "encode_dictionary",
    "measure_arena",
    "measure_arena_size",
    "params_hash",
    "read_params",
    "read_params_typed",
    "update_params",
    "write_params",
]
