"""Model architectures for keyword spotting, found by name.

``build_model(name, input_shape=..., num_classes=..., **options)`` builds one; the modules
(:mod:`~harken.models.tenet`, :mod:`~harken.models.dscnn`, :mod:`~harken.models.cnn`) are
imported only when their model is asked for, so importing this package is cheap. Architectures
only: training, quantisation and profiling live elsewhere.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from harken.errors import SettingsError

#: model name -> "module:function"
MODEL_BUILDERS = {
    "tenet": "harken.models.tenet:build_tenet",
    "dscnn": "harken.models.dscnn:build_dscnn",
    "cnn": "harken.models.cnn:build_cnn",
}

__all__ = ["MODEL_BUILDERS", "build_model"]


def build_model(name: str, *, input_shape, num_classes: int, **options: Any):
    """Build the architecture ``name`` for ``input_shape`` and ``num_classes``.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_BUILDERS` (``tenet``, ``dscnn``, ``cnn``).
    input_shape : tuple of int
        Model input without the batch axis, e.g. (98, 1, 104).
    num_classes : int
        Number of output classes.
    **options
        Keyword options of the builder (``channels=``, ``filters=``...).

    Examples
    --------
    >>> build_model("cnn", input_shape=(49, 32, 1), num_classes=4).output_shape
    (None, 4)
    """
    if name not in MODEL_BUILDERS:
        close = difflib.get_close_matches(str(name), MODEL_BUILDERS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SettingsError(
            f"unknown model architecture {name!r}; {hint}choose one of {', '.join(MODEL_BUILDERS)}"
        )
    module_name, function_name = MODEL_BUILDERS[name].split(":")
    builder = getattr(importlib.import_module(module_name), function_name)
    try:
        return builder(input_shape, num_classes, **options)
    except TypeError as exc:
        raise SettingsError(f"model {name!r}: bad option ({exc}); see help({function_name})") from None
