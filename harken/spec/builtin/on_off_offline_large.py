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

from harken.spec.loader import find_spec

BASE_SPEC = "on_off_offline"

spec = copy.deepcopy(find_spec(BASE_SPEC))  # data, front end, model, augmentation, thresholds: the quickstart's
spec.name, spec.source_path = "", None  # set by the loader from this file
spec.description = "Keyword spotting classifier to detect: on, off (synthetic speech; three models merged)"
spec.training.ensemble_size = 3

if __name__ == "__main__":
    from harken.cli.model import run_spec_main

    run_spec_main(__file__)
