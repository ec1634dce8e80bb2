"""What every augmentation shares: the transform protocol, its context, params records and draws.

A transform is a settings dataclass on ``harken._util.settings.Settings`` (checked on
construction, ``to_dict``/``from_dict``) holding ``p`` and its ranges. It draws, then applies:
``sample(rng, audio, context) -> Params`` draws everything random into a frozen dataclass, and
``apply(audio, params, context)`` is pure (the same params give the same output; the input is
never changed). Its ``stage`` says what it acts on, in this order within a composition:

- ``WORD``: the dry word, before it is placed (trim, speed, pitch, gain);
- ``PLACE``: puts the word into the buffer and fixes where the speech lies (placement);
- ``SPEECH``: the placed speech alone, before anything is mixed in (reverb);
- ``BUFFER``: the whole buffer (background noise, the recording channel, the mic floor).

``AugmentContext`` carries what is not the audio: the rate, the buffer and window lengths, the
speech span and the resources (noise clips, room impulse responses) that ``prepare`` readies once.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from harken._util.settings import Settings, to_plain
from harken.errors import SettingsError

WORD, PLACE, SPEECH, BUFFER = "word", "place", "speech", "buffer"
#: The stages in the order a composition runs them.
STAGES = (WORD, PLACE, SPEECH, BUFFER)

#: Largest float32 sample below full scale in int16 terms (32767 / 32768): samples are clipped to it.
MAX_SAMPLE = np.float32(32767.0 / 32768.0)


class Params(Protocol):
    """A frozen dataclass of drawn values with ``applied`` (False: ``p`` said skip)."""

    applied: bool


@dataclass(frozen=True, slots=True, eq=False)
class AugmentContext:
    """What a transform may need besides its settings and the audio.

    Parameters
    ----------
    sample_rate_hz : int > 0
    length : int
        Samples of the buffer a word is placed in (warm-up + model window); 0 outside a composition.
    window_length : int
        The model window: the buffer's last samples, where the speech lands.
    speech_span : (int, int) or None
        ``[start, stop)`` of the speech in the buffer once placed; None: all of the audio.
    noise_clips : tuple of np.ndarray [shape=(n,), float32]
        Background recordings (``BackgroundNoise.prepare`` puts generated noises here when empty).
    rirs : sequence of np.ndarray, or RirSet
        Room impulse responses (``Reverb.prepare`` makes them a ``RirSet``); empty: no reverb.

    Examples
    --------
    >>> AugmentContext(sample_rate_hz=16000).speech_span is None
    True
    """

    sample_rate_hz: int
    length: int = 0
    window_length: int = 0
    speech_span: tuple[int, int] | None = None
    noise_clips: tuple[np.ndarray, ...] = ()
    rirs: Any = ()


class Transform(Settings):
    """Base of the waveform transforms: a settings dataclass that draws, then applies.

    Subclasses set ``name`` (stable: it keys the transform's random stream and its JSON),
    ``stage`` and, for the mic floor, ``in_silence`` (also added to generated silence).
    """

    __slots__ = ()
    name: ClassVar[str] = ""
    stage: ClassVar[str] = BUFFER
    in_silence: ClassVar[bool] = False

    def prepare(self, context: AugmentContext) -> AugmentContext:
        """The context with the resources this transform needs made ready (once, not per sample)."""
        return context

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> Any:
        """Draw everything random about applying this transform to ``audio``."""
        raise NotImplementedError

    def apply(self, audio: np.ndarray, params: Any, context: AugmentContext) -> np.ndarray:
        """``audio`` transformed as ``params`` say (``audio`` itself when not applied)."""
        raise NotImplementedError


def params_to_dict(name: str, params: Any) -> dict[str, Any]:
    """``{"name": name, **fields}`` as plain JSON types (numpy scalars as numbers, tuples as lists)."""
    return {"name": name, **{f.name: to_plain(getattr(params, f.name)) for f in dataclasses.fields(params)}}


def peak(audio: np.ndarray) -> float:
    """Largest absolute sample (0.0 for an empty clip)."""
    return float(np.max(np.abs(audio))) if audio.size else 0.0


def check_lengths(length: int, window_length: int) -> None:
    """The buffer ``length`` holds the model window (its last ``window_length`` samples)."""
    if int(window_length) < 1 or int(length) < int(window_length):
        raise SettingsError(
            f"length={length}, window_length={window_length}: need 1 <= window_length <= length "
            "(the window is the last window_length samples of the buffer)"
        )


def uniform(u: float, low: float, high: float) -> float:
    """Map a uniform draw ``u`` in [0, 1) onto [low, high)."""
    return float(low + u * (high - low))


def log_uniform(u: float, low: float, high: float) -> float:
    """Map a uniform draw ``u`` in [0, 1) onto [low, high), evenly in log (for frequencies)."""
    return float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))


def integer(u: float, low: int, high: int) -> int:
    """Map a uniform draw ``u`` in [0, 1) onto the integers low..high (inclusive).

    Transforms draw with ``rng.random`` and map the values themselves, so a transform takes the
    same number of draws whatever its ranges and whether ``p`` applies it.
    """
    return int(low + min(int(u * (high - low + 1)), high - low))
