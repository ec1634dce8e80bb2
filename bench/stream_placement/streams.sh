#!/usr/bin/env bash
# The dev streams with real background noise (docs/experiments.md, "Stream-robust training, three seeds"):
#   bench/stream_placement/streams.sh OUT [DEV]
# OUT/real40/real40.wav: 40 min of every dev speaker; OUT/foldA/evalA.wav and OUT/foldB/calB.wav: 30 min
# each of the two speaker halves of bench/stream_folds.py (A: the speakers on_off_dev_mix holds out).
# Background: the dev set's _silence_ clips (cuts of the Speech Commands noise recordings) at -50 to -30 dBFS,
# gaps of 1.0-2.5 s, 0-2 other words right after each keyword; the same DEV and seeds give the same bytes.
set -euo pipefail
OUT=$1
DEV=${2:-../shared/data/speech_commands_dev}
here=$(cd "$(dirname "$0")" && pwd)
recipe=(--background "$DEV/_silence_" --background-db -50,-30 --gap-ms 1000,2500 --words-after-keyword 0,2
        --silence-share 0 -q)
python "$here/../stream_folds.py" --dataset "$DEV" --out "$OUT/folds" > /dev/null
harken datasets stream --dataset "$DEV" --minutes 40 --seed 0 "${recipe[@]}" --out "$OUT/real40/real40.wav"
harken datasets stream --dataset "$OUT/folds/A" --minutes 30 --seed 1 "${recipe[@]}" --out "$OUT/foldA/evalA.wav"
harken datasets stream --dataset "$OUT/folds/B" --minutes 30 --seed 2 "${recipe[@]}" --out "$OUT/foldB/calB.wav"
