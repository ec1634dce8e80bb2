"""Quickstart: on / off / _unknown_ trained only on speech harken synthesises offline (minutes on 2 cores).

Same task and front end as keyword_spotting_on_off_v3 (16 kHz, 104 channels, DC notch, dynamic
int8), but every clip comes from harken's offline speech synthesiser (several voices, near-miss
unknown words, noise-only clips) and the model is a small single-scale TENet, so a usable int8
model comes out in a few minutes without any download. Expect lower accuracy on real speakers
than a model trained on recorded speech; calibrate the thresholds on real clips.

    harken train on_off_offline
    harken summarize on_off_offline --tflite
"""

import harken
from harken.datasets.synth import SynthSettings
from harken.frontend import FrontendSettings
from harken.spec import DatasetSource, DetectionSettings, ModelSettings, TrainingSettings


def lr_schedule(epoch: int) -> float:
    """Warm start at 0.003, halved every 6 epochs."""
    return 0.003 * 0.5 ** (epoch // 6)


spec = harken.ModelSpec(
    version=1,
    description="Keyword spotting classifier to detect: on, off (synthetic speech only)",
    classes=("on", "off", "_unknown_"),
    frontend=FrontendSettings(  # the v3 front end
        sample_rate_hz=16000,
        window_size_ms=30,
        window_step_ms=10,
        filterbank_n_channels=104,
        filterbank_upper_band_limit=7500.0,
        filterbank_lower_band_limit=125.0,
        noise_reduction_smoothing_bits=10,
        noise_reduction_even_smoothing=0.025,
        noise_reduction_odd_smoothing=0.06,
        noise_reduction_min_signal_remaining=0.40,
        dc_notch_filter_enable=True,
        quantize_dynamic_scale_enable=True,
        quantize_dynamic_scale_range_db=40.0,
    ),
    datasets=[
        DatasetSource(synth=SynthSettings(keywords=("on", "off"), num_clips_per_keyword=1000, num_unknown=2000)),
    ],
    augmentation=None,  # harken.augment's defaults
    model=ModelSettings(
        architecture="tenet",
        options={"channels": 32, "num_stages": 4, "blocks_per_stage": 2, "kernel_sizes": (9,)},
    ),
    training=TrainingSettings(
        epochs=20,
        batch_size=64,
        lr_schedule=lr_schedule,
        checkpoint_monitor="val_accuracy",
        class_weights="balanced",
    ),
    detection=DetectionSettings(
        average_window_duration_ms=300,
        detection_threshold_list=(200, 200, 255),
        suppression_ms=700,
        minimum_count=2,
        latency_ms=10,
    ),
)

if __name__ == "__main__":
    from harken.cli_model import run_spec_main

    run_spec_main(__file__)
