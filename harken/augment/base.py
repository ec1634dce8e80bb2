"""What every augmentation shares: params records and the draw-then-apply protocol.

A transform is a small settings dataclass with ``p`` and its ranges (checked on construction),
``sample(rng, *, ...) -> Params`` which draws everything random, and ``apply(audio, params, *,
sample_rate_hz, ...)`` which is pure: the same params give the same output. ``sample`` always takes
the same number of draws from ``rng`` (whether ``p`` applies the transform or not), so turning one
transform off leaves what the others draw unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import numpy as np


class Params(Protocol):
    """A frozen dataclass of drawn values with ``applied`` (False: ``p`` said skip)."""

    applied: bool


def params_to_dict(name: str, params: Any) -> dict[str, Any]:
    """``{"name": name, **fields}`` with numpy scalars turned into plain Python numbers."""
    out: dict[str, Any] = {"name": name}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        out[f.name] = value
    return out


def peak(audio: np.ndarray) -> float:
    """Largest absolute sample (0.0 for an empty clip)."""
    return float(np.max(np.abs(audio))) if audio.size else 0.0
