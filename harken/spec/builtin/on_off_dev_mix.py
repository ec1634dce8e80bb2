"""on / off / _unknown_ from synthetic speech plus your own recordings: the recommended path ($HARKEN_REAL_CLIPS).

The quickstart recipe (``on_off_offline``) with a folder of real recordings added: set
``HARKEN_REAL_CLIPS`` to a folder of class folders (``on/``, ``off/``, other words or
``_unknown_/``, optionally ``_silence_/``) of clips named ``<speaker>_nohash_<n>.wav``. Speakers
are split by the hash of their id (Speech Commands' ``which_set`` rule, ``harken.datasets.splits``):
with ``REAL_VALIDATION_PERCENTAGE`` = 10 and ``REAL_TESTING_PERCENTAGE`` = 5 the speakers that
hash into [10, 15) % are held out for testing and every other speaker trains. For the project's
dev set (Speech Commands *test* speakers, which all hash into [10, 20) %) that is half of the
speakers each way: "what a few hundred real recordings of your own buy". For your own
recordings, raise ``REAL_TESTING_PERCENTAGE`` (e.g. 20) to keep some speakers aside, or choose
them by hand: a spec that loads this one can set ``speaker_manifest`` on the real sources (a
TSV/CSV with ``file`` and ``split`` columns; ``bench/dev_mix_folds.py`` swaps the dev halves so).

Training fine-tunes the quickstart model: it starts from the weights of ``on_off_offline``
(trained first when it has not been) and trains 20 more epochs on the real clips plus a third of
the quickstart's synthetic speech, at a learning rate that starts where the quickstart's middle
epochs were and halves every 5 epochs; the last epoch is kept (the held-out synthetic voices
cannot rank models on real speech). The real clips are listed ``REAL_COPIES`` times, so each epoch
sees several differently augmented copies of each. Front end, model and augmentation are the
quickstart's (this spec loads it), so the two cannot drift apart; the detection settings are its
own, chosen on a stream (below). See
docs/your-recordings.md for what it measured.

    HARKEN_REAL_CLIPS=~/my_clips harken train on_off_dev_mix
"""

import copy
import dataclasses
import os

from harken.errors import SpecError
from harken.spec import DatasetSource, DetectionSettings, TrainingSettings
from harken.spec.loader import find_spec

REAL_CLIPS_VARIABLE = "HARKEN_REAL_CLIPS"
REAL_VALIDATION_PERCENTAGE = 10.0
REAL_TESTING_PERCENTAGE = 5.0
REAL_COPIES = 8
BASE_SPEC = "on_off_offline"

real_clips = os.environ.get(REAL_CLIPS_VARIABLE, "").strip()
if not real_clips:
    raise SpecError(
        f"on_off_dev_mix needs real recordings: set {REAL_CLIPS_VARIABLE} to a folder of class folders "
        f"(on/, off/, _unknown_/ ...), e.g. {REAL_CLIPS_VARIABLE}=~/my_clips harken train on_off_dev_mix"
    )
if not os.path.isdir(os.path.expanduser(real_clips)):
    raise SpecError(f"{REAL_CLIPS_VARIABLE}={real_clips}: no such folder; point it at your folder of class folders")


def lr_schedule(epoch: int) -> float:
    """Fine-tuning: 0.001 (the quickstart's rate in its middle epochs), halved every 5 epochs."""
    return 0.001 * 0.5 ** (epoch // 5)


base = find_spec(BASE_SPEC)  # front end, model and augmentation: the quickstart's
held_out_validation = base.datasets[1]  # the held-out synthetic voices: reported, never used to pick the epoch
synthetic = copy.deepcopy(base.datasets[0])  # a third of the quickstart's synthetic speech
synthetic.synth = dataclasses.replace(synthetic.synth, num_clips_per_keyword=333, num_unknown=1000)
real = DatasetSource(directory=os.path.expanduser(real_clips), validation_percentage=REAL_VALIDATION_PERCENTAGE,
                     testing_percentage=REAL_TESTING_PERCENTAGE)

spec = copy.deepcopy(base)
spec.name, spec.source_path = "", None  # set by the loader from this file
spec.description = "Keyword spotting classifier to detect: on, off (synthetic speech + your recordings)"
spec.datasets = [synthetic, held_out_validation, *[copy.deepcopy(real) for _ in range(REAL_COPIES)]]
spec.training = TrainingSettings(
    epochs=20,
    batch_size=64,
    lr_schedule=lr_schedule,
    initial_weights=BASE_SPEC,  # fine-tune the quickstart model (trained first if it has not been)
    checkpoint_monitor=None,  # keep the last epoch
    class_weights="balanced",
)
# Chosen on a stream, not guessed: `harken calibrate MODEL --stream calB.wav --labels calB.csv
# --target-false-accepts-per-hour 75 --search-recognizer --windows-ms 0,200,300` for the seed-0 model
# trained on the dev set's real clips, on 30 minutes of real speech (its training half of the speakers,
# Speech Commands background noise; bench/stream_placement/streams.sh) at the 175 ms hop. A 500 ms
# average gave fewer false rejects there but a 0.19 s median delay; windows up to 300 ms keep it near
# 0.1 s. Figures on the held-out half: docs/results.md. With your own recordings, calibrate again.
spec.detection = DetectionSettings(
    average_window_duration_ms=300,
    detection_threshold_list=(212, 191, 255),
    suppression_ms=1000,
    minimum_count=2,
    latency_ms=10,
)

if __name__ == "__main__":
    from harken.cli.model import run_spec_main

    run_spec_main(__file__)
