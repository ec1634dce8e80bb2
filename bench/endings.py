"""Does a model listen to the end of a word? Score clips with their endings cut off.

For each chosen word of a folder of class folders, every clip is scored as it is and again with
everything after the first KEEP share of the spoken word set to silence (the word's span is where
it is within 30 dB of its loudest 10 ms). A model that tells "off" from "up" by the final /f/ or /p/
stops answering "off" once the ending is gone; one that answers on the vowel alone keeps it. Words
are class folders (``off``) or ``_unknown_`` clips whose file names start with the word
(``up_<speaker>_nohash_0.wav``, as in the project's dev set). A benchmark: prints a table to stderr
and one JSON object to stdout.

    python bench/endings.py MODEL.tflite --dataset ../shared/data/speech_commands_dev --words on,off,up
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def word_clips(root: Path, word: str) -> list[Path]:
    """The clips of ``word``: its class folder, else ``_unknown_/<word>_*.wav``."""
    folder = root / word
    if folder.is_dir():
        return sorted(folder.glob("*.wav"))
    return sorted((root / "_unknown_").glob(f"{word}_*.wav"))


def cut_after(audio: np.ndarray, keep: float, sample_rate_hz: int) -> np.ndarray:
    """``audio`` with everything after the first ``keep`` share of the word's span silenced."""
    from harken.augment import trim

    bounds = trim.trim_bounds(audio, sample_rate_hz=sample_rate_hz, below_peak_db=30.0)
    out = audio.copy()
    if keep < 1.0 and bounds.applied:
        out[bounds.start + int(keep * (bounds.stop - bounds.start)) :] = 0.0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a .tflite model file (its embedded front end is used)")
    parser.add_argument("--dataset", required=True, help="folder of class folders")
    parser.add_argument("--words", default="on,off,up")
    parser.add_argument("--keep", default="1.0,0.8,0.65,0.5", help="shares of the word kept, comma-separated")
    args = parser.parse_args()

    from harken.audio.io import fit_length, read_audio
    from harken.frontend import compute_spectrograms
    from harken.runtime.clip_model import load_clip_model

    model = load_clip_model(args.model)
    fe = model.frontend
    keeps = [float(k) for k in args.keep.split(",")]
    result: dict = {"model": str(args.model), "classes": list(model.classes), "words": {}}
    for word in filter(None, args.words.split(",")):
        paths = word_clips(Path(args.dataset), word)
        if not paths:
            raise SystemExit(f"{args.dataset}: no clips of {word!r} (no {word}/ folder, no _unknown_/{word}_*.wav)")
        clips = [fit_length(read_audio(p, sample_rate_hz=fe.sample_rate_hz)[0], fe.sample_length) for p in paths]
        rows = {}
        for keep in keeps:
            cut = np.stack([cut_after(c, keep, fe.sample_rate_hz) for c in clips])
            probabilities, _ = model.predict(compute_spectrograms(cut, fe, dtype="int8"))
            top = np.argmax(probabilities, axis=1)
            rows[str(keep)] = {c: float(np.mean(top == i)) for i, c in enumerate(model.classes)}
            shares = "  ".join(f"{c} {100 * v:5.1f} %" for c, v in rows[str(keep)].items())
            print(f"{word:>8} ({len(paths)} clips), first {100 * keep:3.0f} % kept: {shares}", file=sys.stderr)
        result["words"][word] = {"num_clips": len(paths), "top_class_share": rows}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
