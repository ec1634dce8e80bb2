"""The PC microphone as a stream of int16 blocks, through ``sounddevice`` (an optional extra).

In: a device name (None: the default input), the sample rate and block size. Out: an iterator of
int16 blocks. ``sounddevice`` is imported only here, when a microphone is opened, and a missing
package or PortAudio library becomes a one-line :class:`~harken.errors.HarkenError`. It runs no model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from harken.errors import HarkenError

INSTALL_HINT = "pip install 'harken[mic]'"

__all__ = ["microphone_blocks", "open_microphone"]


def _sounddevice() -> Any:
    try:
        import sounddevice
    except ImportError:
        raise HarkenError(f"--microphone needs the sounddevice package, which is not installed: {INSTALL_HINT}") from None
    except OSError as exc:  # sounddevice raises it when the PortAudio library is missing
        raise HarkenError(f"--microphone: the PortAudio library is missing ({exc}); install libportaudio2 "
                          "(Debian/Ubuntu), portaudio (Homebrew) or your system's PortAudio package") from None  # fmt: skip
    return sounddevice


def open_microphone(name: str | None, *, sample_rate_hz: int, block_samples: int) -> Any:
    """An unstarted mono int16 ``sounddevice.InputStream`` on the input device ``name`` (None: the default)."""
    sd = _sounddevice()
    try:
        return sd.InputStream(samplerate=sample_rate_hz, channels=1, dtype="int16", blocksize=block_samples,
                              device=name or None)  # fmt: skip
    except (sd.PortAudioError, ValueError) as exc:
        raise HarkenError(f"microphone {name or '(default)'}: cannot open it at {sample_rate_hz} Hz ({exc}); "
                          "list the devices with 'python -m sounddevice'") from None  # fmt: skip


def microphone_blocks(stream: Any, block_samples: int, *, max_samples: int | None = None) -> Iterator[np.ndarray]:
    """Start ``stream`` and yield its int16 blocks until ``max_samples`` (None: forever); stop it at the end."""
    done = 0
    with stream:
        while max_samples is None or done < max_samples:
            size = block_samples if max_samples is None else min(block_samples, max_samples - done)
            data, _overflowed = stream.read(size)
            block = np.asarray(data, dtype=np.int16).reshape(len(data), -1)[:, 0].copy()
            done += len(block)
            yield block
