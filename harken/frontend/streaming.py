"""Streaming mode: what the device runs. Chunks of any length in, frames out as they complete.

State (DC notch memory, noise estimates, pending samples, activity detector) lasts across calls,
so feeding a clip in any chunking gives exactly the batch-mode frames. A ring keeps the last N
frames: the model's input window, converted to int8 over that window only, as on the device.
"""

from __future__ import annotations

import numpy as np

from harken.audio.io import check_audio, to_int16
from harken.frontend import kernels
from harken.frontend.activity import ActivityDetector
from harken.frontend.batch import plan_for
from harken.frontend.output_scaling import convert_output
from harken.frontend.settings import FrontendSettings, num_frames


class StreamingFrontend:
    """A stateful front end fed with audio chunks.

    Parameters
    ----------
    settings : FrontendSettings
    window_frames : int, optional
        Frames kept in the ring for ``window()``; default: the frames of one
        ``fe.sample_length_ms`` clip (the model's input).

    Examples
    --------
    >>> fe = FrontendSettings()
    >>> stream = StreamingFrontend(fe)
    >>> stream.push(np.zeros(480, np.int16)).shape
    (1, 104)
    >>> stream.window().shape
    (98, 104)
    """

    def __init__(self, settings: FrontendSettings, *, window_frames: int | None = None) -> None:
        self.settings = settings
        self._plan = plan_for(settings)
        self.window_frames = int(window_frames or settings.num_frames)
        if self.window_frames < 1:
            raise ValueError(f"window_frames={self.window_frames} must be >= 1")
        self._activity = ActivityDetector(settings)
        self.reset()

    def reset(self) -> None:
        """Back to the power-on state: no pending samples, zero filter memory, empty ring."""
        # [fill, DC notch on, its Q15 coefficient, previous input, previous output]
        self._state = np.array([0, self._plan.dc_notch_enable, self._plan.dc_notch_coef, 0, 0], np.int64)
        self._estimate = np.zeros(self.settings.filterbank_n_channels, np.int64)
        self._buffer = np.zeros(2 * self._plan.window_size, np.int16)
        self._fill = 0
        self._no_frames = np.zeros((0, self.settings.filterbank_n_channels), np.uint16)
        self._no_frames.flags.writeable = False
        self._ring = np.zeros((self.window_frames, self.settings.filterbank_n_channels), np.uint16)
        self._ring_pos = 0
        self.frames_seen = 0
        self.last_armed = np.zeros(0, dtype=bool)
        self.last_tripped = np.zeros(0, dtype=bool)
        self._activity.reset()

    def push(self, chunk: np.ndarray) -> np.ndarray:
        """Feed samples (int16, or float in [-1, 1)); returns the uint16 frames they complete
        ([k, channels], k >= 0). ``last_armed`` / ``last_tripped`` hold their activity flags."""
        if not (type(chunk) is np.ndarray and chunk.dtype == np.int16 and chunk.ndim == 1 and chunk.size):
            chunk = to_int16(check_audio(np.asarray(chunk), name="chunk"))
        plan = self._plan
        if self._fill + len(chunk) > len(self._buffer):
            grown = np.zeros(max(2 * len(self._buffer), self._fill + len(chunk)), np.int16)
            grown[: self._fill] = self._buffer[: self._fill]
            self._buffer = grown
        self._fill = kernels.append_samples(chunk, self._buffer, self._state)
        if self._fill < plan.window_size:
            return self._no_frames
        count = num_frames(self._fill, plan.window_size, plan.window_step)
        frames = np.zeros((count, self.settings.filterbank_n_channels), np.uint16)
        kernels.process_frames(self._buffer, count, plan, self._estimate, frames)
        used = count * plan.window_step
        self._buffer[: self._fill - used] = self._buffer[used: self._fill]
        self._fill -= used
        self._state[0] = self._fill
        self._store(frames)
        if self.settings.activity_detection_enable:
            self.last_armed, self.last_tripped = self._activity.process(frames)
        return frames

    def _store(self, frames: np.ndarray) -> None:
        for frame in frames[-self.window_frames:]:
            self._ring[self._ring_pos] = frame
            self._ring_pos = (self._ring_pos + 1) % self.window_frames
        self.frames_seen += len(frames)

    @property
    def window_ready(self) -> bool:
        """True once a full window of frames has been produced since the last reset."""
        return self.frames_seen >= self.window_frames

    def window(self, dtype: str = "uint16") -> np.ndarray:
        """The last ``window_frames`` frames, oldest first (zeros before the first frames).

        dtype "int8" applies the settings' mapping over this window only (dynamic scaling takes
        the window's own maximum, as the device does)."""
        ordered = np.concatenate((self._ring[self._ring_pos:], self._ring[:self._ring_pos]))
        return convert_output(ordered, self.settings, dtype)
