"""On/off TENet (v3): 16 kHz, 104 channels, DC notch, dynamic int8, stepped learning rate, ~8.9M MACs.

The seeds' v3 model: a TENet (5 stages of 4 inverted-bottleneck blocks, 50 channels, multi-scale
9/5/3/1 temporal kernels) on a 98 x 104 spectrogram, classes on / off / _unknown_, trained on
Speech Commands v2 plus synthetic speech with noise and room augmentation. The learning rate is
stepped by batches (kws_streaming schedule) and training stops after the last step.

    harken train keyword_spotting_on_off_v3-test
    harken train keyword_spotting_on_off_v3
"""

import harken
from harken.datasets.synth import SynthSettings
from harken.frontend import FrontendSettings
from harken.spec import DatasetSource, DetectionSettings, ModelSettings, TrainingSettings

spec = harken.ModelSpec(
    version=1,
    description="Keyword spotting classifier to detect: on, off",
    classes=("on", "off", "_unknown_"),
    frontend=FrontendSettings(
        sample_rate_hz=16000,
        sample_length_ms=1000,
        window_size_ms=30,
        window_step_ms=10,
        filterbank_n_channels=104,
        filterbank_upper_band_limit=7500.0,
        filterbank_lower_band_limit=125.0,  # the dev board mic is noisy at low frequencies
        noise_reduction_enable=True,
        noise_reduction_smoothing_bits=10,
        noise_reduction_even_smoothing=0.025,
        noise_reduction_odd_smoothing=0.06,
        noise_reduction_min_signal_remaining=0.40,
        pcan_enable=False,
        log_scale_enable=True,
        log_scale_shift=6,
        dc_notch_filter_enable=True,
        dc_notch_filter_coefficient=0.95,
        quantize_dynamic_scale_enable=True,
        quantize_dynamic_scale_range_db=40.0,
    ),
    datasets=[
        DatasetSource(download="speech_commands_v2"),
        DatasetSource(synth=SynthSettings(keywords=("on", "off"))),
    ],
    # None: harken.augment's default recipe, Compose() (speed, pitch, gain, reverb, background noise, mic floor).
    augmentation=None,
    model=ModelSettings(
        architecture="tenet",
        options={"channels": 50, "num_stages": 5, "blocks_per_stage": 4, "kernel_sizes": (9, 5, 3, 1)},
    ),
    training=TrainingSettings(
        epochs=9999,  # the stepped schedule ends training (40,400 batches)
        batch_size=100,
        optimizer="adam",
        learning_rate=0.001,
        optimizer_options={"epsilon": 1e-8},
        lr_steps=(
            (100, 0.001), (100, 0.002), (100, 0.003), (100, 0.004),
            (10000, 0.005), (10000, 0.002), (5000, 0.0005),
            (5000, 1e-5), (5000, 1e-6), (5000, 1e-7),
        ),
        checkpoint_monitor="val_accuracy",
        class_weights="balanced",
    ),
    # The vendor's published settings for this model shape, not chosen on a stream: this spec trains on the
    # Speech Commands download, which harken cannot fetch offline, so no model of it was calibrated here. After
    # training, choose them for your use with `harken calibrate NAME --stream S.wav --labels S.csv
    # --target-false-accepts-per-hour N --search-recognizer` (docs/results.md, "On a long stream").
    detection=DetectionSettings(
        average_window_duration_ms=300,
        detection_threshold_list=(242, 242, 255),
        suppression_ms=700,
        minimum_count=2,
        volume_gain=0.0,
        latency_ms=10,
    ),
)

if __name__ == "__main__":
    from harken.cli.model import run_spec_main

    run_spec_main(__file__)
