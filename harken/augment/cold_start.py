"""Cold start: silence the warm-up before the model window, so the front end starts from rest.

In: a float32 buffer of warm-up + window and the window length. Out: the same buffer with its
first ``length - window_length`` samples set to zero. The front end's noise reduction then meets
the background only when the window starts, as it does for a clip scored on its own
(``harken evaluate``, ``harken.frontend.files``) and on a device right after reset or after true
silence; with the warm-up kept (the default) it has settled on the noise, as on a device that has
been listening. Training on both keeps the model right in either case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability


@dataclass(frozen=True, slots=True)
class ColdStartParams:
    applied: bool


@dataclass(slots=True, kw_only=True)
class ColdStart:
    """Zero the warm-up with probability ``p``.

    Examples
    --------
    >>> t = ColdStart(p=1.0)
    >>> y = t.apply(np.ones(6, np.float32), t.sample(np.random.default_rng(0)), window_length=4)
    >>> y.tolist()
    [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    """

    name = "cold_start"
    p: float = 0.5

    def __post_init__(self) -> None:
        check_probability("ColdStart", "p", self.p)

    def sample(self, rng: np.random.Generator) -> ColdStartParams:
        return ColdStartParams(applied=bool(rng.random() < self.p))

    @staticmethod
    def apply(audio: np.ndarray, params: ColdStartParams, *, window_length: int) -> np.ndarray:
        if not params.applied or audio.size <= window_length:
            return audio
        out = audio.copy()
        out[: audio.size - window_length] = 0.0
        return out
