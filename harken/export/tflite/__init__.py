"""FlatBuffer helpers for .tflite files: the ``SL_PARAMSv1`` dictionary, named metadata, embedded parameters.

Importing this package never imports TensorFlow. The TFLM arena size is measured by
:mod:`harken.profile.arena` (import it from there).
"""

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
    "TypedValue",
    "decode_dictionary",
    "encode_dictionary",
    "params_hash",
    "read_params",
    "read_params_typed",
    "update_params",
    "write_params",
]
