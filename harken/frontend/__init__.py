"""The microcontroller-exact audio front end (TFLM microfrontend + DC notch + int8 scaling).

>>> from harken.frontend import FrontendSettings, compute_spectrograms, StreamingFrontend
"""

from harken.frontend.activity import ActivityDetector, activity_flags
from harken.frontend.batch import compute_raw_spectrograms, compute_spectrograms
from harken.frontend.output_scaling import convert_output, quantize_dynamic, quantize_static
from harken.frontend.settings import FrontendSettings, num_frames
from harken.frontend.streaming import StreamingFrontend
from harken.frontend.window import warmup_samples, window_spectrogram

__all__ = [
    "ActivityDetector",
    "FrontendSettings",
    "StreamingFrontend",
    "activity_flags",
    "compute_raw_spectrograms",
    "compute_spectrograms",
    "convert_output",
    "num_frames",
    "quantize_dynamic",
    "quantize_static",
    "warmup_samples",
    "window_spectrogram",
]
