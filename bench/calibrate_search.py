"""The recognizer search of ``harken calibrate --stream --search-recognizer``: its time, and that it equals the rule.

Usage: python bench/calibrate_search.py MODEL.tflite STREAM.wav LABELS.csv [--target 20] [--hop-ms H] [--reference]

Runs the device loop once over the stream (timed), then ``search_recognizer`` over the default grid
(timed). With ``--reference`` every grid point's thresholds are chosen again by the linear-scan rule
(``choose_stream_thresholds``: 256 recognizer runs per keyword) and compared: the time that takes and the
number of points that differ (must be 0). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from harken.streaming.calibrate import choose_stream_thresholds
from harken.streaming.evaluate import load_labelled_stream, run_stream
from harken.streaming.model import load_stream_model
from harken.streaming.recognizer_search import search_recognizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("stream")
    parser.add_argument("labels")
    parser.add_argument("--target", type=float, default=20.0, help="false accepts per hour (all keywords)")
    parser.add_argument("--hop-ms", type=int, default=None)
    parser.add_argument("--reference", action="store_true", help="also run the linear-scan rule at every point")
    args = parser.parse_args()
    model = load_stream_model(args.model)
    audio, words = load_labelled_stream(model, args.stream, args.labels)
    duration_s = audio.size / model.frontend.sample_rate_hz
    start = time.perf_counter()
    run = run_stream(model, audio, hop_ms=args.hop_ms)
    loop_s = time.perf_counter() - start
    scores, times = run.scores.scores, run.scores.times_ms
    start = time.perf_counter()
    found = search_recognizer(scores, times, model.recognizer, words, model.classes, duration_s=duration_s,
                              target_false_accepts_per_hour=args.target)  # fmt: skip
    out = {"stream_min": round(duration_s / 60, 1), "inferences": int(times.size), "loop_s": round(loop_s, 1),
           "search_s": round(time.perf_counter() - start, 2), "points": len(found.points),
           "chosen": {k: v for k, v in found.best.to_dict().items() if k != "score"}}  # fmt: skip
    if args.reference:
        start, differing = time.perf_counter(), 0
        for point in found.points:
            settings = dataclasses.replace(point.settings(model.recognizer),
                                           detection_threshold_list=model.recognizer.detection_threshold_list)  # fmt: skip
            ref = choose_stream_thresholds(scores, times, settings, words, model.classes, duration_s=duration_s,
                                           target_false_accepts_per_hour=args.target)  # fmt: skip
            differing += ref.thresholds != point.thresholds or ref.score != point.score
        out.update(reference_s=round(time.perf_counter() - start, 1), reference_differing_points=differing)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
