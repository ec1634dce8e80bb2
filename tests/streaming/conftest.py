"""Fixtures shared by the stream tests."""

from __future__ import annotations

import pytest

from harken.streaming.make_stream import StreamSettings, make_stream
from tests.streaming.streams import RATE, make_word_folder
from tests.streaming.tone_model import build_tone_model


@pytest.fixture(scope="session")
def tones(tmp_path_factory):
    """A folder with tones.tflite (window 300 ms, count 2, suppression 700 ms) and a one-minute stream s.wav + s.csv
    of its tone words: built once (a TensorFlow conversion) for every module that only reads them."""
    root = tmp_path_factory.mktemp("tones")
    build_tone_model(root / "tones.tflite")
    make_stream(make_word_folder(root / "words"), root / "s.wav",
                StreamSettings(minutes=1.0, sample_rate_hz=RATE, min_gap_ms=1000, max_gap_ms=1500, min_snr_db=15.0,
                               max_snr_db=25.0, seed=2))  # fmt: skip
    return root
