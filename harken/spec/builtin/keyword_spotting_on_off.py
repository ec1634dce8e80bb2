"""Small on/off CNN: 8 kHz, 32 channels, 30/20 ms, on / off / _unknown_ / _silence_, ~278k MACs.

The seeds' small model: three strided 3x3 convolutions and a dense classifier on a 49 x 32
spectrogram (static int8 mapping, no DC notch), trained on Speech Commands v2 (downloaded) plus
synthetic speech, with a learning rate that decays by 5 % per epoch.

    harken train keyword_spotting_on_off-test   # dry run: a few clips per class, 3 epochs
    harken train keyword_spotting_on_off
    harken summarize keyword_spotting_on_off --tflite
"""

import harken
from harken.datasets.synth import SynthSettings
from harken.frontend import FrontendSettings
from harken.spec import DatasetSource, DetectionSettings, ModelSettings, TrainingSettings


def lr_schedule(epoch: int) -> float:
    """0.001, decaying by 5 % per epoch."""
    return 0.001 * 0.95**epoch


spec = harken.ModelSpec(
    version=1,
    description='Keyword spotting classifier to detect: "on" and "off"',
    classes=("on", "off", "_unknown_", "_silence_"),
    frontend=FrontendSettings(
        sample_rate_hz=8000,
        sample_length_ms=1000,
        window_size_ms=30,
        window_step_ms=20,
        filterbank_n_channels=32,
        filterbank_upper_band_limit=4000.0 - 1,  # speech lives below 4 kHz
        filterbank_lower_band_limit=100.0,
        noise_reduction_enable=True,
        noise_reduction_smoothing_bits=5,
        noise_reduction_even_smoothing=0.004,
        noise_reduction_odd_smoothing=0.004,
        noise_reduction_min_signal_remaining=0.05,
        pcan_enable=False,
        log_scale_enable=True,
        log_scale_shift=6,
        dc_notch_filter_enable=False,
        quantize_dynamic_scale_enable=False,  # static int8 mapping of the TFLM micro_speech example
    ),
    datasets=[
        DatasetSource(download="speech_commands_v2", silence_percentage=10.0),
        DatasetSource(synth=SynthSettings(keywords=("on", "off"), sample_rate_hz=8000)),
    ],
    model=ModelSettings(architecture="cnn", options={"filters": 8, "weight_decay": 1e-4}),
    training=TrainingSettings(
        epochs=80,
        batch_size=10,
        optimizer="adam",
        lr_schedule=lr_schedule,
        checkpoint_monitor="val_accuracy",
        class_weights="balanced",
    ),
    # The vendor's published settings for this model shape, not chosen on a stream: this spec trains on the
    # Speech Commands download, which harken cannot fetch offline, so no model of it was calibrated here. After
    # training, choose them for your use with `harken calibrate NAME --stream S.wav --labels S.csv
    # --target-false-accepts-per-hour N --search-recognizer` (docs/results.md, "On a long stream").
    detection=DetectionSettings(
        average_window_duration_ms=1000,
        detection_threshold=160,
        suppression_ms=750,
        minimum_count=3,
        volume_gain=2.0,
        latency_ms=100,
    ),
)

if __name__ == "__main__":
    from harken.cli.model import run_spec_main

    run_spec_main(__file__)
