"""Read, check and convert audio clips: every file enters harken through ``read_audio``.

In: a path to a wav/flac/ogg file (any PCM width, float, mono or multichannel, any rate).
Out: mono int16 (or float32 in [-1, 1)) at the rate asked for.

Conversions are documented, never silent about data loss:
- 8/24/32-bit PCM and float files are converted to int16 (rounded, clipped to the int16 range);
- multichannel files keep their first channel (logged);
- another sample rate is resampled with soxr (high quality) to the rate asked for (logged).
Everything that cannot be read (not audio, empty, NaN/Inf samples) raises ``AudioError`` with one
line naming the file and the problem.
"""

from __future__ import annotations

import io
import logging
import os
import stat
from dataclasses import dataclass

import numpy as np

from harken._util.atomic import atomic_path
from harken.errors import AudioError, output_error

log = logging.getLogger(__name__)

INT16_SCALE = 32768.0


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What a file held before conversion (for reports and warnings)."""

    path: str
    sample_rate_hz: int
    num_channels: int
    num_frames: int
    subtype: str


def check_audio(x: np.ndarray, *, name: str = "audio") -> np.ndarray:
    """Check that ``x`` is a usable mono clip: int16 or float in [-1, 1], 1-D, non-empty, finite.

    Returns the array unchanged; raises ``AudioError`` naming ``name`` otherwise.
    """
    if not isinstance(x, np.ndarray):
        raise AudioError(f"{name}: expected a numpy array, got {type(x).__name__}")
    if x.ndim != 1:
        raise AudioError(f"{name}: expected a 1-D mono clip, got shape {x.shape}")
    if x.size == 0:
        raise AudioError(f"{name}: the clip has no samples")
    if x.dtype == np.int16:
        return x
    if not np.issubdtype(x.dtype, np.floating):
        raise AudioError(f"{name}: expected int16 or float samples, got {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise AudioError(f"{name}: the clip has NaN or infinite samples")
    return x


def to_int16(x: np.ndarray) -> np.ndarray:
    """Convert int16 or float audio in [-1, 1) to int16 (x * 32768, rounded and clipped)."""
    if x.dtype == np.int16:
        return x
    scaled = np.rint(np.asarray(x, dtype=np.float64) * INT16_SCALE)
    return np.clip(scaled, -32768, 32767).astype(np.int16)


def to_float32(x: np.ndarray) -> np.ndarray:
    """Convert int16 audio to float32 in [-1, 1) (x / 32768); float input is cast to float32."""
    if x.dtype == np.int16:
        return x.astype(np.float32) / np.float32(INT16_SCALE)
    return np.asarray(x, dtype=np.float32)


def fit_length(x: np.ndarray, length: int) -> np.ndarray:
    """Exactly ``length`` samples: the first ``length`` (a view), or ``x`` with zeros added at the end.

    Clips shorter than the model window are common (Speech Commands has many under 1 s).

    Examples
    --------
    >>> fit_length(np.array([1, 2, 3], np.int16), 5).tolist(), fit_length(np.arange(5), 2).tolist()
    ([1, 2, 3, 0, 0], [0, 1])
    """
    if x.size >= length:
        return x[:length]
    return np.concatenate([x, np.zeros(length - x.size, dtype=x.dtype)])


def resample(x: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Resample a mono clip with soxr (high quality); int16 in gives int16 out."""
    if from_hz == to_hz:
        return x
    import soxr

    y = soxr.resample(to_float32(x).astype(np.float64), from_hz, to_hz, quality="HQ")
    return to_int16(y) if x.dtype == np.int16 else y.astype(np.float32)


def read_audio(
    path: str | os.PathLike,
    *,
    sample_rate_hz: int | None = None,
    dtype: str = "int16",
) -> tuple[np.ndarray, int]:
    """Read an audio file as a mono clip.

    Parameters
    ----------
    path : str or PathLike
        A wav, flac or ogg file.
    sample_rate_hz : int, optional
        Resample to this rate when the file has another one (soxr HQ). None keeps the file's rate.
    dtype : {"int16", "float32"}
        int16 samples, or float32 in [-1, 1).

    Returns
    -------
    (samples, sample_rate_hz)

    Raises
    ------
    AudioError
        One line naming the file: missing, not audio, empty, or non-finite samples.
    """
    import soundfile as sf

    path = os.fspath(path)
    if dtype not in ("int16", "float32"):
        raise AudioError(f"{path}: dtype must be 'int16' or 'float32', got {dtype!r}")
    _check_readable(path)
    native = os.fsencode(path)  # bytes: libsndfile opens any file name, UTF-8 or not
    try:
        info = sf.info(native)
        if info.subtype == "PCM_16":
            data, rate = sf.read(native, dtype="int16", always_2d=True)
        else:
            data, rate = sf.read(native, dtype="float64", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if reason.startswith("Error opening ") and "': " in reason:  # libsndfile's "Error opening b'PATH': why"
            reason = reason.split("': ", 1)[1]
        raise AudioError(f"{path}: not a readable audio file ({reason})") from None
    _warn_if_truncated(path, info.format, data.shape[0] * info.channels)
    if data.shape[0] == 0:
        raise AudioError(f"{path}: the file has no samples")
    if data.shape[1] > 1:
        log.info("%s: %d channels, keeping the first", path, data.shape[1])
    mono = np.ascontiguousarray(data[:, 0])
    if mono.dtype != np.int16:
        if not np.all(np.isfinite(mono)):
            raise AudioError(f"{path}: the file has NaN or infinite samples")
        mono = to_int16(mono)
    if sample_rate_hz is not None and rate != sample_rate_hz:
        log.info("%s: resampling %d Hz -> %d Hz", path, rate, sample_rate_hz)
        mono = resample(mono, rate, sample_rate_hz)
        rate = sample_rate_hz
    if dtype == "float32":
        return to_float32(mono), int(rate)
    return mono, int(rate)


def _check_readable(path: str) -> None:
    """Raise AudioError naming the real problem: missing, a folder, a symlink loop, no permission..."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file") from None
    except OSError as exc:
        raise AudioError(f"{path}: cannot open the file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError(f"{path}: is a folder, not an audio file")
    if not stat.S_ISREG(st.st_mode):
        raise AudioError(f"{path}: not a regular file (a device, FIFO or socket); give an audio file")


def _wav_data_chunk(path: str) -> tuple[int, int] | None:
    """(declared byte count, start) of a WAV file's samples (None if not found in the first 4 KiB)."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    offset = 12
    while offset + 8 <= len(head):
        chunk_id, size = head[offset : offset + 4], int.from_bytes(head[offset + 4 : offset + 8], "little")
        if chunk_id == b"data":
            return None if size == 0xFFFFFFFF else (size, offset + 8)  # 0xFFFFFFFF: a stream of unknown length
        offset += 8 + size + (size & 1)
    return None


def _warn_if_truncated(path: str, container: str, num_samples: int) -> None:
    """Log a warning when a WAV file holds fewer samples than its header declares (a cut-short copy)."""
    if container != "WAV":
        return
    try:
        chunk = _wav_data_chunk(path)
        size = os.path.getsize(path)
    except OSError:
        return
    if chunk is not None and chunk[0] > size - chunk[1]:
        log.warning("%s: truncated: the header declares %d bytes of samples, the file holds %d; "
                    "using the %d samples there", path, chunk[0], size - chunk[1], num_samples)  # fmt: skip


def write_wav(path: str | os.PathLike, x: np.ndarray, sample_rate_hz: int) -> None:
    """Write a mono 16-bit PCM wav atomically (temp file in the same folder, then rename).

    Raises OutputError naming ``path`` when the folder cannot be written (read-only, full disk).
    """
    import soundfile as sf

    samples = to_int16(check_audio(np.asarray(x), name=str(path)))
    encoded = io.BytesIO()  # encoded in memory, written by Python: a full disk is an OSError, not "System error."
    sf.write(encoded, samples, sample_rate_hz, subtype="PCM_16", format="WAV")
    try:
        with atomic_path(path) as tmp:
            tmp.write_bytes(encoded.getvalue())
    except OSError as exc:
        raise output_error(path, exc, what="cannot write the wav file") from None
