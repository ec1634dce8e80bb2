#!/usr/bin/env bash
# Train one stream-placement variant of on_off_offline and measure it on the dev stream and the dev clips.
#   bench/stream_placement/run.sh VARIANT   (on_off_stream_end or on_off_stream_edges)
# Needs HARKEN_HOME (a copy of ~/.harken's synth, rir and cache folders avoids re-synthesis), the dev
# stream in $S30 (harken datasets stream --dataset ../shared/data/speech_commands_dev --minutes 30
# --seed 0 --out $S30/dev30.wav) and writes to $OUT/VARIANT-{default,100,clips}.
set -euo pipefail
variant=$1
S30=${S30:-/work/exp/s30}
OUT=${OUT:-/work/exp/sr-eval}
DEV=${DEV:-/work/shared/data/speech_commands_dev}
BASE=${BASE:-$HOME/.harken/models/on_off_offline/on_off_offline.tflite}
harken() { nice -n 5 python -m harken "$@"; }
here=$(cd "$(dirname "$0")" && pwd)
model=$HARKEN_HOME/models/$variant/$variant.tflite
[ -f "$model" ] || harken train "$here/$variant.py" -q
mkdir -p "$OUT"
harken evaluate "$model" --dataset "$DEV" --baseline "$BASE" --interpreter litert --no-plots --out "$OUT/$variant-clips"
harken evaluate-stream "$model" "$S30/dev30.wav" --labels "$S30/dev30.csv" --out "$OUT/$variant-default"
harken evaluate-stream "$model" "$S30/dev30.wav" --labels "$S30/dev30.csv" --hop-ms 100 --out "$OUT/$variant-100"
