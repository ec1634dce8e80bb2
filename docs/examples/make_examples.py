"""Regenerate the example clips of this folder (run from the repository root).

    python docs/examples/make_examples.py

Builds a small synthetic dataset (seed 0) in a temporary $HARKEN_HOME, copies two clips per class
here with their manifest rows (``examples.json``), and draws each clip's waveform and int8
spectrogram (``harken.frontend`` default settings) into a PNG next to it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def main() -> None:
    from harken.datasets.synth import SynthSettings, synthesize_dataset

    with tempfile.TemporaryDirectory(prefix="harken-examples-") as tmp:
        settings = SynthSettings(num_clips_per_keyword=4, num_unknown=8, background_noise=False, seed=0)
        result = synthesize_dataset(settings, cache_root=Path(tmp))
        rows = [json.loads(line) for line in (result.path / "manifest.jsonl").read_text().splitlines()]
        picked = []
        for label, kinds in (("on", ("word", "phrase", "phonemes")), ("off", ("word", "phrase", "phonemes")),
                             ("_unknown_", ("near_miss", "common"))):  # fmt: skip
            candidates = [r for r in rows if r["label"] == label]
            chosen = [next((r for r in candidates if r["kind"] == k), None) for k in kinds]
            chosen = [r for r in chosen if r is not None][:2] or candidates[:2]
            picked += chosen[:2]
        for row in picked:
            name = f"{row['label'].strip('_')}_{row['speaker'].split('_')[0]}.wav"
            shutil.copyfile(result.path / row["file"], HERE / name)
            row["example"] = name
    (HERE / "examples.json").write_text(json.dumps(picked, indent=2, sort_keys=True) + "\n")
    draw_pngs(picked)
    for row in picked:
        print(f"{row['example']:<28} {row['text']!r:<14} {row['voice']:<22} rate {row['rate_wpm']} pitch {row['pitch']}")


def draw_pngs(rows: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from harken.audio.io import read_audio
    from harken.frontend import FrontendSettings, compute_spectrograms

    fe = FrontendSettings()
    for row in rows:
        audio, rate = read_audio(HERE / row["example"])
        spec = compute_spectrograms(audio, fe)
        fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6, 4.2), gridspec_kw={"height_ratios": [1, 2]})
        ax1.plot([i / rate for i in range(audio.size)], audio / 32768.0, linewidth=0.5)
        ax1.set_xlim(0, audio.size / rate)
        ax1.set_ylim(-1, 1)
        ax1.set_title(f"{row['label']}: {row['text']!r}  ({row['voice']}, {row['rate_wpm']} wpm, pitch {row['pitch']})", fontsize=9)
        ax2.imshow(spec.T, origin="lower", aspect="auto", cmap="magma", vmin=-128, vmax=127)
        ax2.set_xlabel("frame (10 ms)")
        ax2.set_ylabel("mel channel")
        fig.tight_layout()
        fig.savefig(HERE / row["example"].replace(".wav", ".png"), dpi=80)
        plt.close(fig)


if __name__ == "__main__":
    os.chdir(HERE.parents[1])
    main()
