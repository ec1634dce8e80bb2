"""Training-data pipeline vs training: can the pipeline keep the TENet v3 model fed?

Usage: python bench/pipeline.py [--clips 600] [--batch-size 64] [--batches 12]
Measures (1) augmented v3 samples per second (16 kHz, 104 channels, every augmentation on, 1 s
warm-up) made by ``TrainingBatches`` in the main process (1 worker) and with 2 worker processes
through Keras' own PyDataset machinery, and (2) the TENet v3 model's consumption rate
(``train_on_batch`` samples per second) on the same machine; prints both and their ratio.
Table to stderr, one JSON object to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np


def _dataset(tmp: str, clips: int):
    """A small synthetic on/off/unknown dataset (espeak-ng), as LabeledClips."""
    from harken.datasets.synth import SynthSettings, synthesize_dataset
    from harken.datasets.clips import LabeledClip

    per_class = max(clips // 4, 8)
    result = synthesize_dataset(SynthSettings(keywords=("on", "off"), num_clips_per_keyword=per_class,
                                              num_unknown=2 * per_class, seed=0), workers=2)
    folder = result.path
    out = []
    for label in ("on", "off", "_unknown_"):
        for path in sorted(os.listdir(os.path.join(folder, label))):
            out.append(LabeledClip(os.path.join(folder, label, path), label))
    return out


def _all_on():
    """The default recipe plus the recording channel, every probability at 1 (worst case)."""
    from harken.augment import BandLimit, Compose, MicEq, Narrowband, SilenceNoise, SpecAugment, default_transforms

    transforms = default_transforms()
    transforms[-1:-1] = [MicEq(), BandLimit(), Narrowband()]
    masks = SpecAugment(p_time_mask=1.0, p_freq_mask=1.0)
    data = Compose(transforms, silence=SilenceNoise(p=1.0), spec_augment=masks).to_dict()
    for item in data["transforms"]:
        item.update({k: 1.0 for k in item if k == "p" or k.startswith("p_")})
    return Compose.from_dict(data)


def bench_pipeline(clips, augmentation, rirs, batch_size: int, batches: int, workers: int) -> float:
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    from harken.frontend import FrontendSettings
    from harken.pipeline.batches import TrainingBatches

    data = TrainingBatches(clips, class_names=["on", "off", "_unknown_"], frontend=FrontendSettings(),
                           augmentation=augmentation, batch_size=batch_size, seed=0, rirs=rirs,
                           workers=workers, use_multiprocessing=workers > 1, max_queue_size=2 * workers + 2)
    if workers <= 1:
        data[0]
        start = time.perf_counter()
        for i in range(1, batches + 1):
            data[i % len(data)]
        return batches * batch_size / (time.perf_counter() - start)
    adapter = PyDatasetAdapter(data, shuffle=False)
    iterator = adapter.get_numpy_iterator()
    next(iterator)  # pool start-up and first batch
    start = time.perf_counter()
    made = 0
    for _ in range(batches):
        x, _ = next(iterator)
        made += len(x)
    rate = made / (time.perf_counter() - start)
    adapter.on_epoch_end()
    return rate


def bench_training(batch_size: int, batches: int) -> float:
    import keras

    from harken.models import build_model

    model = build_model("tenet", input_shape=(98, 104, 1), num_classes=3)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.integers(-128, 128, size=(batch_size, 98, 104, 1)).astype(np.float32)
    y = rng.integers(0, 3, size=batch_size).astype(np.int32)
    for _ in range(3):
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(batches):
        model.train_on_batch(x, y)
    return batches * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=12)
    args = parser.parse_args()
    os.environ.setdefault("HARKEN_HOME", tempfile.mkdtemp(prefix="harken-bench-"))
    from harken.datasets.rir import RirBankSettings, rir_bank

    clips = _dataset(os.environ["HARKEN_HOME"], max(args.clips, (args.batches + 2) * args.batch_size))
    bank = rir_bank(RirBankSettings())
    rirs = [bank.get(i) for i in range(len(bank))]
    augmentation = _all_on()
    one = bench_pipeline(clips, augmentation, rirs, args.batch_size, args.batches, workers=1)
    two = bench_pipeline(clips, augmentation, rirs, args.batch_size, args.batches, workers=2)
    train = bench_training(args.batch_size, args.batches)
    rows = [("pipeline, 1 worker (main process)", one), ("pipeline, 2 worker processes", two),
            ("TENet v3 train_on_batch", train), ("ratio: 2-worker pipeline / training", two / train)]
    for name, value in rows:
        unit = "" if name.startswith("ratio") else "samples/s"
        print(f"{name:<40} {value:>9.2f} {unit}", file=sys.stderr)
    import keras

    print(json.dumps({
        "bench": "pipeline", "unit": "samples/s", "batch_size": args.batch_size, "batches": args.batches,
        "pipeline_1_worker": one, "pipeline_2_workers": two, "tenet_v3_train": train, "ratio": two / train,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "keras": keras.__version__},
    }, indent=1))


if __name__ == "__main__":
    main()
