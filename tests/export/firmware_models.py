"""Tiny int8 models for the firmware tests, made from built-in specs' front ends and detection settings.

- ``quickstart``: a small TENet on the quickstart ``on_off_offline`` front end (16 kHz, 104 channels,
  DC notch, 60 dB dynamic int8);
- ``small_cnn``: the seeds' small CNN of ``keyword_spotting_on_off`` (8 kHz, 32 channels, no DC notch).
Untrained (one epoch on front-end spectrograms of the golden test signals, for non-trivial scores);
quantized with harken's converter and the specs' settings embedded, as ``harken train`` does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

GOLDEN_INPUTS = Path(__file__).parents[1] / "data" / "golden_frontend" / "inputs"


def golden_clips(rate_folder: str, length: int) -> np.ndarray:
    """The golden front-end input signals of one rate, cut or zero-padded to ``length`` samples."""
    import soundfile

    clips = []
    for path in sorted((GOLDEN_INPUTS / rate_folder).glob("*.wav")):
        audio, _ = soundfile.read(path, dtype="int16")
        clips.append(np.pad(audio[:length], (0, max(0, length - len(audio)))))
    return np.stack(clips)


def _model(spec_name: str, builder: str, rate_folder: str, seed: int, **options) -> bytes:
    import keras

    from harken.export.quantize import convert_int8, embed_params
    from harken.frontend import compute_spectrograms
    from harken.models import build_model
    from harken.spec.loader import find_spec

    spec = find_spec(spec_name)
    keras.utils.set_random_seed(seed)
    clips = golden_clips(rate_folder, spec.frontend.sample_length)
    x = compute_spectrograms(clips, spec.frontend).reshape((len(clips), *spec.input_shape)).astype(np.float32)
    model = build_model(builder, input_shape=spec.input_shape, num_classes=spec.num_classes, **options)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, np.arange(len(x)) % spec.num_classes, epochs=1, verbose=0)
    return embed_params(convert_int8(model, x), spec, date="2026-12-06T00:00:00.000Z")


def make_models() -> dict[str, bytes]:
    """{"quickstart": bytes, "small_cnn": bytes}: the two test models (TensorFlow is imported)."""
    return {
        "quickstart": _model("on_off_offline", "tenet", "16k", 0, channels=8, num_stages=2, blocks_per_stage=1,
                             kernel_sizes=(9,)),
        "small_cnn": _model("keyword_spotting_on_off", "cnn", "8k", 1),
    }
