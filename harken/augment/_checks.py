"""Range checks shared by the augmentation settings and transforms (SettingsError naming the value)."""

from __future__ import annotations

import math

from harken.errors import SettingsError


def check_probability(owner: str, name: str, value: float) -> None:
    """``value`` must be a probability in [0, 1]."""
    if not (isinstance(value, (int, float)) and 0.0 <= float(value) <= 1.0):
        raise SettingsError(f"{owner}.{name}={value!r}: a probability must be in [0, 1]")


def check_range(owner: str, name: str, low: float, high: float, *, lo: float, hi: float, unit: str = "") -> None:
    """``min_<name> <= max_<name>``, both finite and within [lo, hi]."""
    for key, value in ((f"min_{name}", low), (f"max_{name}", high)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
            raise SettingsError(f"{owner}.{key}={value!r}{unit}: use a value in [{lo}, {hi}]{unit}")
    if low > high:
        raise SettingsError(f"{owner}.min_{name}={low} > max_{name}={high}: swap them or make min <= max")


def check_count(owner: str, name: str, value: int, *, lo: int = 0, hi: int = 1_000_000) -> None:
    """An integer in [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SettingsError(f"{owner}.{name}={value!r}: use a whole number in [{lo}, {hi}]")


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


def integer(u: float, low: int, high: int) -> int:
    """Map a uniform draw ``u`` in [0, 1) onto the integers low..high (inclusive).

    Transforms draw with ``rng.random`` and map the values themselves, so every ``sample`` takes
    the same number of draws whatever the ranges and whether ``p`` applies it: switching one
    transform off leaves what the others draw unchanged.
    """
    return int(low + min(int(u * (high - low + 1)), high - low))
