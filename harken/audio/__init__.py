"""Audio in harken: reading, validating, converting and resampling clips."""

from harken.audio.io import AudioInfo, check_audio, fit_length, read_audio, to_float32, to_int16, write_wav

__all__ = ["AudioInfo", "check_audio", "fit_length", "read_audio", "to_float32", "to_int16", "write_wav"]
