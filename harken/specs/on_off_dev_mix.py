"""on / off / _unknown_ from synthetic speech plus your own recordings: the recommended path ($HARKEN_REAL_CLIPS).

The quickstart recipe (``on_off_offline``) with a folder of real recordings added: set
``HARKEN_REAL_CLIPS`` to a folder of class folders (``on/``, ``off/``, other words or
``_unknown_/``, optionally ``_silence_/``) of clips named ``<speaker>_nohash_<n>.wav``. Speakers
are split by the hash of their id (Speech Commands' ``which_set`` rule, ``harken.datasets.splits``):
with ``REAL_VALIDATION_PERCENTAGE`` = 10 and ``REAL_TESTING_PERCENTAGE`` = 5 the speakers that
hash into [10, 15) % are held out for testing and every other speaker trains. For the project's
dev set (Speech Commands *test* speakers, which all hash into [10, 20) %) that is half of the
speakers each way: "what a few hundred real recordings of your own buy". For your own
recordings, raise ``REAL_TESTING_PERCENTAGE`` (e.g. 20) to keep some speakers aside.

The real clips are listed ``REAL_COPIES`` times, so each epoch sees several differently augmented
copies of each; the synthetic speech is a smaller share than in the quickstart (real speech is
worth far more per clip, see docs/real_voice.md). Everything else (slow speaking rates, the
randomised recording channel, the held-out Klatt voices as the validation set) is the quickstart's.

    HARKEN_REAL_CLIPS=~/my_clips harken train on_off_dev_mix
"""

import os

import harken
from harken.augment import AugmentationSettings
from harken.datasets.synth import SynthSettings
from harken.errors import SpecError
from harken.frontend import FrontendSettings
from harken.spec import (
    DatasetSource,
    DetectionSettings,
    ModelSettings,
    TrainingSettings,
)

#: espeak-ng variants built on the Klatt synthesiser: held out of training, they are the validation set.
HELD_OUT_VOICES = ("*+klatt*", "*+Reed", "*+adam", "*+announcer", "*+benjamin", "*+caleb", "*+david", "*+edward*", "*+mike2")

REAL_CLIPS_VARIABLE = "HARKEN_REAL_CLIPS"
REAL_VALIDATION_PERCENTAGE = 10.0
REAL_TESTING_PERCENTAGE = 5.0
REAL_COPIES = 8

real_clips = os.environ.get(REAL_CLIPS_VARIABLE, "").strip()
if not real_clips:
    raise SpecError(
        f"on_off_dev_mix needs real recordings: set {REAL_CLIPS_VARIABLE} to a folder of class folders "
        f"(on/, off/, _unknown_/ ...), e.g. {REAL_CLIPS_VARIABLE}=~/my_clips harken train on_off_dev_mix"
    )
if not os.path.isdir(os.path.expanduser(real_clips)):
    raise SpecError(f"{REAL_CLIPS_VARIABLE}={real_clips}: no such folder; point it at your folder of class folders")


def lr_schedule(epoch: int) -> float:
    """Warm start at 0.003, halved every 6 epochs."""
    return 0.003 * 0.5 ** (epoch // 6)


real = {"directory": os.path.expanduser(real_clips), "validation_percentage": REAL_VALIDATION_PERCENTAGE,
        "testing_percentage": REAL_TESTING_PERCENTAGE}

spec = harken.ModelSpec(
    version=1,
    description="Keyword spotting classifier to detect: on, off (synthetic speech + your recordings)",
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
        DatasetSource(  # synthetic training speech: a third of the quickstart's
            synth=SynthSettings(keywords=("on", "off"), num_clips_per_keyword=333, num_unknown=1000,
                                min_rate_wpm=80, max_rate_wpm=170, exclude_voices=HELD_OUT_VOICES),
            validation_percentage=0.0, testing_percentage=0.0, silence_percentage=10.0,
        ),
        DatasetSource(  # validation: the held-out voices only (leave-one-engine-out), as in on_off_offline
            synth=SynthSettings(keywords=("on", "off"), num_clips_per_keyword=200, num_unknown=400, seed=1,
                                include_voices=HELD_OUT_VOICES),
            validation_percentage=100.0, testing_percentage=0.0,
        ),
        *[DatasetSource(**real) for _ in range(REAL_COPIES)],  # your recordings, REAL_COPIES augmented copies per epoch
    ],
    augmentation=AugmentationSettings(  # as on_off_offline: the defaults plus the recording channel
        p_mic_eq=0.5, max_mic_eq_gain_db=6.0,
        p_band_limit=0.5, min_highpass_hz=100.0, max_highpass_hz=400.0, min_lowpass_hz=3000.0, max_lowpass_hz=7000.0,
        p_narrowband=0.15,
    ),
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
