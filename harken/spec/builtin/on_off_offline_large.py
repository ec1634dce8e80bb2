"""on / off / _unknown_ from offline synthetic speech, three models in one file: the best offline model.

The quickstart recipe (``on_off_offline``) trained with seeds 0, 1 and 2 and merged into one int8
model that runs all three on the same spectrogram and averages their probabilities
(``training.ensemble_size = 3``, ``harken.training.ensemble``). It costs three times the quickstart: 8.1 M
MACs per inference (the seeds' v3 on/off model: 8.4-8.9 M), ~470 kB of .tflite, a ~100 kB TFLM
arena and about 20 minutes of training on 2 cores. Member 1 is exactly the quickstart's model
(same seed and settings). On real speech it scores higher than any one of its members
(docs/results.md), and it is the start of ``on_off_dev_mix_large``.

    harken train on_off_offline_large
"""

import copy

from harken.spec import DetectionSettings
from harken.spec.loader import find_spec

BASE_SPEC = "on_off_offline"

spec = copy.deepcopy(find_spec(BASE_SPEC))  # data, front end, model and augmentation: the quickstart's
spec.name, spec.source_path = "", None  # set by the loader from this file
spec.description = "Keyword spotting classifier to detect: on, off (synthetic speech; three models merged)"
spec.training.ensemble_size = 3
# Its own detection settings, chosen on a stream: three models take three times as long, so the default hop
# (harken profile's Cortex-M33 estimate plus latency) is about 505 ms, where the quickstart's 300 ms window
# holds one result and its minimum count of 2 would never be met. `harken calibrate MODEL --stream calB.wav
# --labels calB.csv --target-false-accepts-per-hour 75 --search-recognizer --windows-ms 0,200,300` (30 minutes
# of real speech from half of the dev speakers; bench/stream_placement/streams.sh). Figures: docs/results.md.
spec.detection = DetectionSettings(
    average_window_duration_ms=300,
    detection_threshold_list=(170, 214, 255),
    suppression_ms=1000,
    minimum_count=1,
    latency_ms=10,
)

if __name__ == "__main__":
    from harken.cli.model import run_spec_main

    run_spec_main(__file__)
