"""Background level ranges and words after keywords in ``make_stream``; the defaults keep the old bytes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import soundfile as sf

from harken.streaming.make_stream import StreamSettings, make_stream
from tests.streaming.streams import RATE, make_word_folder

#: sha256 of wav + labels CSV, computed with the code before background ranges and words after keywords existed.
GOLDEN = {
    "generated": "341078eed647df543b38ede1c42aa03450365ab182078eac828f2ee4749bb316",
    "recorded": "1c4d15b3a1dbb940b7f42926fee1c864a3511115ce5dda8a87b87d416e83728c",
}


@pytest.fixture
def words(tmp_path):
    return make_word_folder(tmp_path / "words")


@pytest.fixture
def noise(tmp_path):
    (tmp_path / "noise").mkdir()
    rng = np.random.default_rng(5)
    for i in range(2):
        audio = (0.05 * rng.standard_normal(3 * RATE)).astype(np.float32)
        sf.write(tmp_path / "noise" / f"n{i}.wav", audio, RATE, subtype="PCM_16")
    return tmp_path / "noise"


def _digest(made) -> str:
    return hashlib.sha256(made.wav.read_bytes() + made.labels_csv.read_bytes()).hexdigest()


def test_one_background_level_and_no_words_after_keywords_give_the_old_bytes(words, noise, tmp_path):
    base = dict(minutes=1.0, sample_rate_hz=RATE, min_gap_ms=1000, max_gap_ms=1500)
    generated = StreamSettings(**base, reverb=0.5, num_rooms=2, background_rms_db=-40.0)
    recorded = StreamSettings(**base, seed=3)
    assert _digest(make_stream(words, tmp_path / "g.wav", generated)) == GOLDEN["generated"]
    assert _digest(make_stream(words, tmp_path / "r.wav", recorded, background=noise)) == GOLDEN["recorded"]
