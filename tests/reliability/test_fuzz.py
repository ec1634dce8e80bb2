"""Property tests: random mutations of a valid wav, .tflite and SL_PARAMSv1 buffer give a result or a
HarkenError, never another exception (few examples, so the suite stays fast).

The native interpreters (TFLM, LiteRT) are not run on the mutated models here: see the report of issue 26.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harken.errors import HarkenError
from tests.reliability import corpus

GOOD_MODEL = corpus.MODEL.read_bytes()
GOOD_PARAMS = (corpus.PARAMS_DATA / "sl_params_v1.bin").read_bytes()
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _wav_bytes() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, corpus.tone(0.25), corpus.RATE, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


GOOD_WAV = _wav_bytes()


@st.composite
def mutated(draw, data: bytes, *, keep: int = 0) -> bytes:
    """``data`` with a few bytes overwritten, a slice inserted or removed, or its end cut off (the first
    ``keep`` bytes stay, so a mutated .tflite still says TFL3 and reaches the parser)."""
    out = bytearray(data)
    kind = draw(st.sampled_from(["overwrite", "insert", "delete", "truncate"]))
    position = draw(st.integers(keep, len(out) - 1))
    if kind == "overwrite":
        for offset, value in draw(st.lists(st.tuples(st.integers(0, 63), st.integers(0, 255)), min_size=1, max_size=8)):
            out[min(position + offset, len(out) - 1)] = value
    elif kind == "insert":
        out[position:position] = draw(st.binary(min_size=1, max_size=16))
    elif kind == "delete":
        del out[position : position + draw(st.integers(1, 64))]
    else:
        del out[max(position, keep + 1) :]
    return bytes(out)


def _result_or_harken_error(call) -> None:
    try:
        call()
    except HarkenError:
        pass


@FUZZ
@given(data=mutated(GOOD_WAV))
def test_a_mutated_wav_reads_or_gives_a_harken_error(data, tmp_path, caplog):
    from harken.audio.io import read_audio

    caplog.set_level(logging.ERROR)
    path = tmp_path / "clip.wav"
    path.write_bytes(data)
    _result_or_harken_error(lambda: read_audio(path, sample_rate_hz=8000))


@FUZZ
@given(data=mutated(GOOD_MODEL, keep=8))
def test_a_mutated_tflite_reads_or_gives_a_harken_error(data):
    from harken.export.tflite import read_params_typed
    from harken.profile.summarize import tflite_summary

    _result_or_harken_error(lambda: read_params_typed(data))
    _result_or_harken_error(lambda: tflite_summary(data))


@FUZZ
@given(data=mutated(GOOD_MODEL, keep=8))
def test_update_params_of_a_mutated_tflite_writes_or_gives_a_harken_error(data, tmp_path):
    from harken.export.tflite.validate import update_model_params

    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    _result_or_harken_error(lambda: update_model_params(path, {"suppression_ms": 500}, force=True))


@FUZZ
@given(data=mutated(GOOD_PARAMS))
def test_a_mutated_params_buffer_decodes_or_gives_a_harken_error(data):
    from harken.export.tflite import decode_dictionary

    _result_or_harken_error(lambda: decode_dictionary(data, source="m.tflite"))


def test_the_mutations_reach_the_parsers():
    """The strategy is not vacuous: mutations both parse and fail (checked on a fixed sample)."""
    from harken.export.tflite import decode_dictionary

    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(40):
        data = bytearray(GOOD_PARAMS)
        data[rng.integers(0, len(data))] = rng.integers(0, 256)
        try:
            decode_dictionary(bytes(data))
            outcomes.add("ok")
        except HarkenError:
            outcomes.add("error")
    assert outcomes == {"ok", "error"}
