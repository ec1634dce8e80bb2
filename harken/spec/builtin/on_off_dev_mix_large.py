"""on / off / _unknown_ from synthetic speech plus your own recordings, three models in one file.

``on_off_dev_mix`` three times, merged into one int8 model that averages their probabilities
(``training.ensemble_size = 3``, ``harken.training.ensemble``): member ``i`` fine-tunes member ``i`` of
``on_off_offline_large`` (the quickstart recipe with seed ``i``; trained first when it has not
been) on your recordings with seed ``i``, so the three start apart and disagree where one alone
errs. Three times the cost of ``on_off_dev_mix`` at run time (8.1 M MACs, about the seeds' v3
on/off model's 8.4-8.9 M) and in training (about 25 minutes on 2 cores, plus ~20 for
``on_off_offline_large``). Set ``HARKEN_REAL_CLIPS`` as for ``on_off_dev_mix``; see
docs/your-recordings.md for what it measured.

    HARKEN_REAL_CLIPS=~/my_clips harken train on_off_dev_mix_large
"""

import copy

from harken.spec import DetectionSettings
from harken.spec.loader import find_spec

spec = copy.deepcopy(find_spec("on_off_dev_mix"))  # real clips, split, schedule: on_off_dev_mix's (not detection)
spec.name, spec.source_path = "", None  # set by the loader from this file
spec.description = "Keyword spotting classifier to detect: on, off (synthetic speech + your recordings; three models merged)"
spec.training.initial_weights = "on_off_offline_large"  # member i fine-tunes its member i
spec.training.ensemble_size = 3
# Its own detection settings, chosen on a stream at its ~505 ms default hop (three models: three times the
# quickstart's inference time), where on_off_dev_mix's 300 ms window with a minimum count of 2 would never fire:
# `harken calibrate MODEL --stream calB.wav --labels calB.csv --target-false-accepts-per-hour 75
# --search-recognizer --windows-ms 0,200,300` (30 minutes of real speech, the half of the dev speakers it trained
# on; bench/stream_placement/streams.sh). Figures on the other half: docs/results.md.
spec.detection = DetectionSettings(
    average_window_duration_ms=300,
    detection_threshold_list=(186, 198, 255),
    suppression_ms=1000,
    minimum_count=1,
    latency_ms=10,
)

if __name__ == "__main__":
    from harken.cli.model import run_spec_main

    run_spec_main(__file__)
