"""Labels CSV of a stream: rows read, sorted and checked; every bad input is one line naming file and row."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from harken.errors import AudioError, DatasetError
from harken.streaming.labels import StreamLabel, read_labels, read_stream, write_labels

CLASSES = ["on", "off", "_unknown_"]


def _csv(tmp_path, text: str):
    path = tmp_path / "s.csv"
    path.write_text(text)
    return path


def test_labels_are_read_sorted_with_their_extra_columns(tmp_path):
    path = _csv(tmp_path, "start_s,end_s,label,word\n5.0,5.5,_unknown_,bed\n1.0,1.4,on,on\n\n")
    labels = read_labels(path, duration_s=10.0, classes=CLASSES)
    assert [(x.start_s, x.end_s, x.label, x.row) for x in labels] == [(1.0, 1.4, "on", 3), (5.0, 5.5, "_unknown_", 2)]
    assert labels[1].extra == {"word": "bed"} and labels[0].is_keyword and not labels[1].is_keyword


def test_labels_round_trip_through_write_labels(tmp_path):
    labels = [StreamLabel(1.25, 1.75, "off", extra={"word": "off", "snr_db": "7.5"}), StreamLabel(3.0, 3.5, "_unknown_")]
    write_labels(tmp_path / "out.csv", labels)
    assert (tmp_path / "out.csv").read_text().splitlines()[:2] == ["start_s,end_s,label,word,snr_db",
                                                                     "1.250,1.750,off,off,7.5"]  # fmt: skip
    back = read_labels(tmp_path / "out.csv")
    assert [(x.start_s, x.end_s, x.label) for x in back] == [(1.25, 1.75, "off"), (3.0, 3.5, "_unknown_")]
    assert back[1].extra == {"word": "", "snr_db": ""}


def test_a_label_past_the_end_of_the_stream_names_file_and_row(tmp_path):
    path = _csv(tmp_path, "start_s,end_s,label\n1.0,1.5,on\n9.8,10.2,off\n")
    with pytest.raises(DatasetError, match=r"s\.csv: row 3: end_s=10\.2 is past the end of the stream \(10\.000 s\)"):
        read_labels(path, duration_s=10.0)


def test_a_label_before_the_start_is_rejected(tmp_path):
    with pytest.raises(DatasetError, match=r"s\.csv: row 2: start_s=-0\.5 is before"):
        read_labels(_csv(tmp_path, "start_s,end_s,label\n-0.5,0.5,on\n"), duration_s=10.0)


def test_overlapping_labels_name_both_rows(tmp_path):
    path = _csv(tmp_path, "start_s,end_s,label\n4.0,4.6,off\n1.0,1.5,on\n4.5,5.0,on\n")
    with pytest.raises(DatasetError, match=r"s\.csv: row 4: on \[4\.5, 5\.0\] overlaps row 2: off \[4\.0, 4\.6\]"):
        read_labels(path)


def test_touching_labels_do_not_overlap(tmp_path):
    assert len(read_labels(_csv(tmp_path, "start_s,end_s,label\n1.0,1.5,on\n1.5,2.0,off\n"))) == 2


def test_an_unknown_label_name_is_rejected(tmp_path):
    path = _csv(tmp_path, "start_s,end_s,label\n1.0,1.5,on\n2.0,2.5,On\n")
    with pytest.raises(DatasetError, match=r"s\.csv: row 3: label 'On' is not a class of the model .*_unknown_"):
        read_labels(path, classes=CLASSES)


def test_silence_and_unknown_labels_are_always_known(tmp_path):
    labels = read_labels(_csv(tmp_path, "start_s,end_s,label\n1,2,_silence_\n3,4,_unknown_\n"), classes=["on"])
    assert [x.label for x in labels] == ["_silence_", "_unknown_"]


@pytest.mark.parametrize("text, message", [
    ("", "the labels CSV is empty"),
    ("start_s,end_s,label\n", "has a header but no rows"),
    ("start,end,label\n1,2,on\n", r"row 1: the header start,end,label lacks start_s, end_s"),
    ("start_s,end_s,label\n1,x,on\n", r"row 2: end_s='x' is not a number"),
    ("start_s,end_s,label\n1,nan,on\n", r"row 2: end_s='nan' is not a finite number"),
    ("start_s,end_s,label\n2,1,on\n", r"row 2: end_s=1\.0 is not after start_s=2\.0"),
    ("start_s,end_s,label\n1,2,\n", r"row 2: the label is empty"),
])  # fmt: skip
def test_bad_csv_is_one_line_naming_the_file(tmp_path, text, message):
    with pytest.raises(DatasetError, match=r"s\.csv: " + ("" if message.startswith("row") else ".*") + message) as info:
        read_labels(_csv(tmp_path, text))
    assert "\n" not in str(info.value)


def test_a_missing_labels_file_is_named(tmp_path):
    with pytest.raises(DatasetError, match=r"nope\.csv: no such labels file"):
        read_labels(tmp_path / "nope.csv")


def test_a_stream_that_is_not_a_wav_is_rejected(tmp_path):
    sf.write(tmp_path / "s.flac", np.zeros(800, np.float32), 8000)
    with pytest.raises(AudioError, match=r"s\.flac: not a wav file \(found FLAC\)"):
        read_stream(tmp_path / "s.flac", sample_rate_hz=8000)
    (tmp_path / "t.wav").write_text("start_s,end_s,label\n")
    with pytest.raises(AudioError, match=r"t\.wav: not a wav file \(found no audio\)"):
        read_stream(tmp_path / "t.wav", sample_rate_hz=8000)
    with pytest.raises(AudioError, match=r"u\.wav: no such stream file"):
        read_stream(tmp_path / "u.wav", sample_rate_hz=8000)


def test_a_wav_stream_is_read_as_int16_at_the_rate_asked(tmp_path):
    sf.write(tmp_path / "s.wav", np.full(1600, 0.25, np.float32), 16000, subtype="PCM_16")
    audio = read_stream(tmp_path / "s.wav", sample_rate_hz=8000)
    assert audio.dtype == np.int16 and audio.size == 800
