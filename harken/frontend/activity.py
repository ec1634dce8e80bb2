"""Activity detection on the front end's frames: is something louder than the background arriving?

Two exponential averages of the frame level (the mean energy of a frame's channels, the log stage
undone so that ratios are energy ratios): a fast one
A (``fe.activity_detection_alpha_a``, the weight kept from the previous frame) and a slow one B
(``alpha_b``). Their ratio q = B / A is 1 in steady sound and drops when the level rises.
The detector *arms* when q < ``arm_threshold`` (an onset) and, once armed, *trips* when q climbs back
to ``trip_threshold`` (the rise is over: a sound event is complete enough to classify), then disarms.
Per frame it reports ``armed`` (state after the frame) and ``tripped`` (it tripped on this frame).
This is harken's definition: the firmware flag's exact arithmetic is not published, so no golden
vectors exist for it; the spectrogram itself never depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.frontend.settings import FrontendSettings


@dataclass(slots=True)
class ActivityDetector:
    """Stateful detector fed frame by frame (``update``) or a block of frames (``process``)."""

    settings: FrontendSettings
    fast: float = -1.0
    slow: float = -1.0
    armed: bool = False

    def reset(self) -> None:
        """Forget the averages and the armed state (a new stream)."""
        self.fast, self.slow, self.armed = -1.0, -1.0, False

    def update(self, frame: np.ndarray) -> tuple[bool, bool]:
        """Feed one uint16 frame; returns (armed, tripped) after it."""
        s = self.settings
        level = frame_level(frame, s)
        if self.fast < 0:
            self.fast = self.slow = level
        a, b = s.activity_detection_alpha_a, s.activity_detection_alpha_b
        self.fast = a * self.fast + (1.0 - a) * level
        self.slow = b * self.slow + (1.0 - b) * level
        ratio = self.slow / self.fast if self.fast > 0 else 1.0
        tripped = False
        if not self.armed and ratio < s.activity_detection_arm_threshold:
            self.armed = True
        elif self.armed and ratio >= s.activity_detection_trip_threshold:
            self.armed, tripped = False, True
        return self.armed, tripped

    def process(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feed [frames, channels]; returns the (armed, tripped) bool arrays, one entry per frame."""
        armed = np.zeros(len(frames), dtype=bool)
        tripped = np.zeros(len(frames), dtype=bool)
        for i, frame in enumerate(frames):
            armed[i], tripped[i] = self.update(frame)
        return armed, tripped


def frame_level(frame: np.ndarray, settings: FrontendSettings) -> float:
    """Mean channel energy of one uint16 frame (exp of the log output when the log stage is on)."""
    values = np.asarray(frame, dtype=np.float64)
    if settings.log_scale_enable:
        values = np.exp(values / (1 << settings.log_scale_shift))
    return float(np.mean(values))


def activity_flags(spectrogram: np.ndarray, settings: FrontendSettings) -> tuple[np.ndarray, np.ndarray]:
    """(armed, tripped) per frame of one raw uint16 [frames, channels] spectrogram, from a fresh state."""
    return ActivityDetector(settings).process(np.asarray(spectrogram))
