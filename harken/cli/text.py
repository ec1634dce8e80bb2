"""Wording the command modules share: the MODEL argument's help and how a rate is printed."""

from __future__ import annotations

MODEL_HELP = "A spec name (see 'harken list'), a .tflite file or a .harken.zip archive."


def pct(value: float | None) -> str:
    """A rate as a percentage with one decimal ('n/a' when there is none)."""
    return "n/a" if value is None else f"{100 * value:.1f}%"
