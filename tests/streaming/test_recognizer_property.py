"""Property: the incremental recognizer equals a brute-force recomputation from the whole score history.

The brute force never keeps a queue: for each result it decides from the definitions which earlier
results the firmware's 50-entry queue admitted (the queue, as left by the previous step, had room) and
which of those are still in the window, averages them, and finds the previous detection by looking
back at the detections so far.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from harken.streaming.recognizer import MAX_RESULTS, CommandRecognizer, Detection, RecognizerSettings, recognize


def brute_force(scores: np.ndarray, times: list[int], s: RecognizerSettings, labels: list[str]) -> list[Detection]:
    """The detections, each step recomputed from the whole history."""
    window = s.average_window_duration_ms
    admitted: list[bool] = []
    for j in range(len(times)):  # j enters iff the queue after step j - 1 held fewer than 50 results
        held = sum(1 for k in range(j) if admitted[k] and times[k] >= times[j - 1] - window)
        admitted.append(held < MAX_RESULTS)
    detections: list[Detection] = []
    for i, now in enumerate(times):
        if s.minimum_count == 0:
            average = [int(v) for v in scores[i]]
        else:
            members = [k for k in range(i + 1) if admitted[k] and times[k] >= now - window]
            if len(members) < s.minimum_count:
                continue
            average = [sum(int(scores[k][c]) for k in members) // len(members) for c in range(len(labels))]
        top = max(range(len(labels)), key=lambda c: (average[c], -c))
        threshold = s.detection_threshold_list[top] if s.detection_threshold_list else s.detection_threshold
        previous = detections[-1] if detections else Detection(0, 0, labels[0], 0)
        suppressed = top == previous.class_index and now - previous.time_ms <= s.suppression_ms
        if average[top] > threshold and not labels[top].startswith("_") and not suppressed:
            detections.append(Detection(now, top, labels[top], average[top]))
    return detections


@st.composite
def histories(draw):
    n = draw(st.integers(1, 90))
    dense = draw(st.booleans())  # many results in a long window: the 50-entry queue fills
    step = st.sampled_from([0, 1, 2, 5]) if dense else st.sampled_from([0, 1, 5, 10, 20, 40, 100, 400])
    steps = draw(st.lists(step, min_size=n, max_size=n))
    times = np.cumsum(steps).tolist()
    labels = draw(st.sampled_from([["on", "off", "_unknown_"], ["_silence_", "yes", "no"], ["a", "b"]]))
    scores = draw(st.lists(st.lists(st.integers(0, 255) | st.sampled_from([0, 200, 255]), min_size=len(labels),
                                    max_size=len(labels)), min_size=n, max_size=n))  # fmt: skip
    threshold_list = draw(st.none() | st.lists(st.integers(0, 255), min_size=len(labels), max_size=len(labels)))
    recognizer = RecognizerSettings(
        average_window_duration_ms=draw(st.sampled_from([100_000] if dense else [0, 10, 100, 300, 1000, 100_000])),
        minimum_count=draw(st.integers(0, 4)), detection_threshold=draw(st.integers(0, 255)),
        detection_threshold_list=tuple(threshold_list) if threshold_list else None,
        suppression_ms=draw(st.sampled_from([0, 1, 50, 300, 750])),
    )  # fmt: skip
    return np.array(scores, np.uint8), times, recognizer, labels


@settings(max_examples=300, deadline=None)
@given(histories())
def test_incremental_recognizer_equals_brute_force(history):
    scores, times, s, labels = history
    recognizer = CommandRecognizer(s, labels)
    incremental = [d for i, t in enumerate(times) if (d := recognizer.process(scores[i], t)) is not None]
    assert incremental == brute_force(scores, times, s, labels)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_whole_history_recognize_equals_incremental(history):
    scores, times, s, labels = history
    recognizer = CommandRecognizer(s, labels)
    incremental = [d for i, t in enumerate(times) if (d := recognizer.process(scores[i], t)) is not None]
    assert recognize(scores, np.array(times), s, labels) == incremental
