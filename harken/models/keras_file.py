"""Loading a saved ``.keras`` model: harken's custom layers registered, a one-line error naming the file."""

from __future__ import annotations

import os
from pathlib import Path

from harken.errors import ModelFileError

__all__ = ["load_keras_model"]


def load_keras_model(path: str | os.PathLike):
    """The uncompiled Keras model saved at ``path``.

    Raises
    ------
    ModelFileError
        The file is missing or Keras cannot read it (damaged, not a Keras archive, unknown layer);
        the message names the file and gives Keras's first line.
    """
    import keras

    import harken.models.tenet  # noqa: F401 - registers the TENet's custom layer for loading

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a damaged file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path}: Keras cannot load the model ({first})") from None
