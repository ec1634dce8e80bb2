"""Piper neural voices: repeatable synthesis (seeded noise), IPA input, and datasets that ask for them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.conftest import run_synth_cli

from harken.audio.tts.piper import rewire_random_nodes, espeak_to_ipa, installed_piper_voices, text_to_ipa
from harken.audio.tts.engines import Voice, synthesize
from harken.errors import AudioError

JOE = Voice(engine="piper", name="en_US-joe-medium")


def test_random_nodes_become_inputs_that_are_sliced_to_shape():
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("RandomNormalLike", ["x"], ["r"], dtype=TensorProto.FLOAT), helper.make_node("Add", ["x", "r"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3])])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert rewire_random_nodes(model) == ["noise_0"]
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    noise = np.arange(40, dtype=np.float32).reshape(1, 4, 10)
    (y,) = session.run(None, {"x": np.zeros((1, 2, 3), np.float32), "noise_0": noise})
    assert np.array_equal(y, noise[:, :2, :3])


def test_keyword_phoneme_forms_become_ipa_and_unknown_symbols_are_named():
    assert espeak_to_ipa("[['O:f]]") == "ˈɔːf" and espeak_to_ipa("[['0n]]") == "ˈɒn" and espeak_to_ipa("[['A:n]]") == "ˈɑːn"
    with pytest.raises(AudioError, match="espeak phoneme 'Z'"):
        espeak_to_ipa("[['Zf]]")
    assert text_to_ipa("off!") == "ˈɔf!" and text_to_ipa("turn on") == "tˈɜːn ˈɔn"


def test_the_joe_voice_is_installed_and_repeatable():
    assert "en_US-joe-medium" in installed_piper_voices()
    a, rate = synthesize("off", JOE, rate_wpm=100, rand_seed=3)
    b, _ = synthesize("off", JOE, rate_wpm=100, rand_seed=3)
    c, _ = synthesize("off", JOE, rate_wpm=100, rand_seed=4)
    slow, _ = synthesize("off", JOE, rate_wpm=80, rand_seed=3)
    fast, _ = synthesize("off", JOE, rate_wpm=170, rand_seed=3)
    assert rate == 22050 and a.dtype == np.int16 and np.abs(a).max() > 3000
    assert np.array_equal(a, b) and not (a.shape == c.shape and np.array_equal(a, c))
    assert slow.size > a.size > fast.size


def test_unknown_piper_voice_is_a_one_line_error():
    with pytest.raises(AudioError, match="unknown voice 'en_US-nobody'"):
        synthesize("on", Voice(engine="piper", name="en_US-nobody"))


def test_a_piper_only_dataset_is_made_and_repeatable(tmp_path, monkeypatch):
    from harken.datasets.synth import SynthSettings, synthesize_dataset

    settings = SynthSettings(engines=("piper",), num_clips_per_keyword=2, num_unknown=2, background_noise=False, seed=3)
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "a"))
    first = synthesize_dataset(settings, workers=1)
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "b"))
    second = synthesize_dataset(settings, workers=1)
    rows = [json.loads(line) for line in (first.path / "manifest.jsonl").read_text().splitlines()]
    assert first.engines == ("piper",) and {r["voice"] for r in rows} == {"en_US-joe-medium"} and len(rows) == 6
    assert all(r["file"].split("/")[1].startswith("piper-enusjoemedium_") for r in rows)
    for r in rows:
        assert (first.path / r["file"]).read_bytes() == (second.path / r["file"]).read_bytes()


def test_default_datasets_do_not_use_piper():
    from harken.datasets.synth import SynthSettings, resolve_voices

    assert {v.engine for v in resolve_voices(SynthSettings())} == {"espeak"}


def test_cli_synth_takes_the_engines(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path))
    assert run_synth_cli("--unknown", "1", "--engines", "piper")["engines"] == ["piper"]
