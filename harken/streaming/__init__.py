"""Streaming detection: the device loop on a stream and the firmware's command recognizer.

>>> from harken.streaming import load_stream_model, run_device_loop, CommandRecognizer
"""

from harken.streaming.loop import DeviceLoop, Inference, StreamResult, StreamScores, apply_volume_gain, run_device_loop
from harken.streaming.model import DEFAULT_HOP_MS, StreamModel, load_stream_model
from harken.streaming.recognizer import (
    CommandRecognizer,
    Detection,
    RecognizerSettings,
    recognize,
    scores_to_uint8,
)

__all__ = [
    "DEFAULT_HOP_MS",
    "CommandRecognizer",
    "Detection",
    "DeviceLoop",
    "Inference",
    "RecognizerSettings",
    "StreamModel",
    "StreamResult",
    "StreamScores",
    "apply_volume_gain",
    "load_stream_model",
    "recognize",
    "run_device_loop",
    "scores_to_uint8",
]
