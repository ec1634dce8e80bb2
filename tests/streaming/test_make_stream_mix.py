"""Background level ranges and words after keywords in ``make_stream``; the defaults keep the old bytes."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from harken.augment.noise_mix import read_noise_folder
from harken.cli.datasets import app
from harken.datasets.noise import rms_dbfs
from harken.errors import DatasetError, SettingsError
from harken.streaming.background import make_background, make_background_pieces
from harken.streaming.make_stream import StreamSettings, make_stream
from tests.streaming.streams import BURST, RATE, make_word_folder

#: sha256 of wav + labels CSV. "generated": computed with the code before background ranges and words after
#: keywords existed; "recorded": since recordings shorter than a piece are joined to fill it.
GOLDEN = {
    "generated": "341078eed647df543b38ede1c42aa03450365ab182078eac828f2ee4749bb316",
    "recorded": "b003b2cba896c9860b90238ac30474f62ea853e99d96e39b32c90c51d0537671",
}


@pytest.fixture
def words(tmp_path):
    return make_word_folder(tmp_path / "words")


@pytest.fixture
def noise(tmp_path):
    (tmp_path / "noise").mkdir()
    rng = np.random.default_rng(5)
    for i in range(2):
        audio = (0.05 * rng.standard_normal(3 * RATE)).astype(np.float32)
        sf.write(tmp_path / "noise" / f"n{i}.wav", audio, RATE, subtype="PCM_16")
    return tmp_path / "noise"


def _digest(made) -> str:
    return hashlib.sha256(made.wav.read_bytes() + made.labels_csv.read_bytes()).hexdigest()


def test_one_background_level_and_no_words_after_keywords_give_the_old_bytes(words, noise, tmp_path):
    base = dict(minutes=1.0, sample_rate_hz=RATE, min_gap_ms=1000, max_gap_ms=1500)
    generated = StreamSettings(**base, reverb=0.5, num_rooms=2, background_rms_db=-40.0)
    recorded = StreamSettings(**base, seed=3)
    assert _digest(make_stream(words, tmp_path / "g.wav", generated)) == GOLDEN["generated"]
    assert _digest(make_stream(words, tmp_path / "r.wav", recorded, background=noise)) == GOLDEN["recorded"]


def test_recordings_shorter_than_a_piece_are_joined_into_one_level():
    rng = np.random.default_rng(2)
    short = [(g * rng.standard_normal(RATE // 2)).astype(np.float32) for g in (0.01, 0.1, 0.5)]  # 20 dB apart
    made = make_background_pieces(12 * RATE, sample_rate_hz=RATE, rms_db=-40.0, seed=1, recordings=short,
                                  piece_s=6.0, fade_s=0.5, jitter_db=0.0)  # fmt: skip
    assert len(made.starts) == 3  # 6 s pieces joined by 0.5 s crossfades: three cover 12 s
    seconds = [rms_dbfs(made.audio[i * RATE : (i + 1) * RATE]) for i in range(12)]
    assert max(seconds) - min(seconds) < 1.0, seconds


def _noise_recordings(folder, *, seconds: float = 4.0, count: int = 3):
    """White-noise recordings shorter than a background piece (joined to fill each piece)."""
    folder.mkdir()
    rng = np.random.default_rng(7)
    for i in range(count):
        sf.write(folder / f"w{i}.wav", (0.05 * rng.standard_normal(int(seconds * RATE))).astype(np.float32), RATE,
                 subtype="PCM_16")  # fmt: skip
    return folder


def test_a_background_range_gives_pieces_at_their_own_levels_within_it():
    rng = np.random.default_rng(0)
    recordings = [rng.standard_normal(4 * RATE).astype(np.float32) for _ in range(3)]
    made = make_background_pieces(60 * RATE, sample_rate_hz=RATE, rms_db=-50.0, max_rms_db=-30.0, seed=2,
                                  recordings=recordings, piece_s=4.0)  # fmt: skip
    # 4 s pieces, 0.5 s crossfades: each piece rules from the middle of its crossfade in
    assert made.starts[:2].tolist() == [0, 3.75 * RATE] and np.all(np.diff(made.starts[1:]) == 3.5 * RATE)
    assert np.all((made.levels_db >= -50.0) & (made.levels_db <= -30.0)) and np.ptp(made.levels_db) > 10.0
    for start, level in zip(made.starts[:-1], made.levels_db):
        middle = made.audio[start + RATE // 2 : start + 3 * RATE]
        assert rms_dbfs(middle) == pytest.approx(level, abs=0.3)
    assert np.array_equal(make_background(60 * RATE, sample_rate_hz=RATE, rms_db=-50.0, max_rms_db=-30.0, seed=2,
                                          recordings=recordings, piece_s=4.0), made.audio)  # fmt: skip


def test_one_background_level_keeps_the_three_db_jitter():
    made = make_background_pieces(8 * RATE, sample_rate_hz=RATE, rms_db=-40.0, seed=1, piece_s=1.0, fade_s=0.1)
    assert np.all(np.abs(made.levels_db + 40.0) <= 3.0) and np.ptp(made.levels_db) > 1.0


def test_words_snr_is_relative_to_the_background_piece_they_sit_in(words, tmp_path):
    noise = _noise_recordings(tmp_path / "noise")
    settings = StreamSettings(minutes=1.0, sample_rate_hz=RATE, min_gap_ms=1000, max_gap_ms=1500, min_snr_db=20.0,
                              max_snr_db=20.0, background_rms_db=-50.0, max_background_rms_db=-30.0,
                              silence_share=0.0, seed=4)  # fmt: skip
    made = make_stream(words, tmp_path / "s.wav", settings, background=noise)
    audio, _ = sf.read(made.wav, dtype="float32")
    pieces = make_background_pieces(audio.size, sample_rate_hz=RATE, rms_db=-50.0, max_rms_db=-30.0, seed=4,
                                    recordings=read_noise_folder(noise, sample_rate_hz=RATE))  # fmt: skip
    checked = []
    for label in made.labels:
        first, stop = int(label.start_s * RATE), int(label.end_s * RATE)
        piece = int(np.searchsorted(pieces.starts, first, side="right")) - 1
        piece_end = pieces.starts[piece + 1] if piece + 1 < pieces.starts.size else audio.size
        assert float(label.extra["snr_db"]) == pytest.approx(20.0, abs=0.1)
        if first - pieces.starts[piece] > 0.3 * RATE and piece_end - stop > 0.3 * RATE:  # clear of crossfades
            word_db = rms_dbfs(audio[first + 80 : stop - 80])
            assert word_db == pytest.approx(pieces.levels_db[piece] + 20.0, abs=0.5)
            checked.append(pieces.levels_db[piece])
    assert len(checked) >= 5 and np.ptp(checked) > 6.0  # the words follow their pieces, not one nominal level
    recipe = json.loads(made.recipe_json.read_text())["settings"]
    assert (recipe["background_rms_db"], recipe["max_background_rms_db"]) == (-50.0, -30.0)


def test_keywords_are_followed_by_the_drawn_number_of_other_words(words, tmp_path):
    settings = StreamSettings(minutes=2.0, sample_rate_hz=RATE, min_gap_ms=1000, max_gap_ms=1500,
                              keyword_share=0.5, silence_share=0.5, min_words_after_keyword=1,
                              max_words_after_keyword=2, min_follow_gap_ms=400, max_follow_gap_ms=500)  # fmt: skip
    made = make_stream(words, tmp_path / "s.wav", settings)
    kinds = [x.label for x in made.labels]
    runs, i = [], 0
    while i < len(kinds):  # no unknown words but the followers: each keyword's run of _unknown_ after it
        if kinds[i] in ("on", "off"):
            j = i + 1
            while j < len(kinds) and kinds[j] == "_unknown_":
                j += 1
            runs.append((j - i - 1, j == len(kinds)))
            i = j
        else:
            assert kinds[i] == "_silence_", kinds[: i + 1]
            i += 1
    assert all(1 <= n <= 2 or (end and n < 1) for n, end in runs) and {n for n, end in runs if not end} == {1, 2}
    for before, label in zip(made.labels, made.labels[1:]):
        gap = label.start_s - before.end_s - BURST[0] * (label.label != "_silence_")
        if label.label == "_unknown_":
            assert 0.4 - 0.02 <= gap <= 0.5 + 0.02
        else:
            assert gap >= 1.0 - 0.02
    recipe = json.loads(made.recipe_json.read_text())["settings"]
    assert recipe["min_words_after_keyword"] == 1 and recipe["max_follow_gap_ms"] == 500


def test_words_after_keywords_need_other_words(tmp_path):
    (tmp_path / "kw" / "on").mkdir(parents=True)
    sf.write(tmp_path / "kw" / "on" / "a_nohash_0.wav", np.zeros(RATE, np.float32), RATE, subtype="PCM_16")
    with pytest.raises(DatasetError, match=r"kw: no other words .* to follow keywords with"):
        make_stream(tmp_path / "kw", tmp_path / "s.wav", StreamSettings(max_words_after_keyword=1))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (dict(background_rms_db=-30.0, max_background_rms_db=-50.0), r"max_background_rms_db=-50.0 < background_rms"),
        (dict(max_background_rms_db=0.0), r"max_background_rms_db=0.0 dB: use a value in"),
        (dict(min_words_after_keyword=3, max_words_after_keyword=1), r"min_words_after_keyword=3 > max_words_after"),
        (dict(max_words_after_keyword=1.5), r"max_words_after_keyword=1.5: use a whole number"),
        (dict(min_follow_gap_ms=100), r"min_follow_gap_ms=100, max_follow_gap_ms=None: give both or neither"),
        (dict(min_follow_gap_ms=900, max_follow_gap_ms=100), r"min_follow_gap_ms=900 > max_follow_gap_ms=100"),
    ],
)
def test_bad_new_settings_are_one_line_errors(fields, message):
    with pytest.raises(SettingsError, match=message) as caught:
        StreamSettings(**fields)
    assert "\n" not in str(caught.value)


def test_new_settings_round_trip():
    settings = StreamSettings(background_rms_db=-50.0, max_background_rms_db=-30.0, max_words_after_keyword=2,
                              min_follow_gap_ms=300, max_follow_gap_ms=600)  # fmt: skip
    assert StreamSettings.from_dict(settings.to_dict()) == settings


def test_datasets_stream_command_takes_the_new_ranges(words, tmp_path):
    result = CliRunner().invoke(app, ["stream", "-d", str(words), "--minutes", "0.5", "--sample-rate", "8000",
                                      "-o", str(tmp_path / "s.wav"), "--background-db", "-50,-30",
                                      "--words-after-keyword", "0,2", "--follow-gap-ms", "400,500",
                                      "--gap-ms", "1000,1200", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    recipe = json.loads((tmp_path / "s.json").read_text())["settings"]
    assert (recipe["background_rms_db"], recipe["max_background_rms_db"]) == (-50.0, -30.0)
    assert (recipe["min_words_after_keyword"], recipe["max_words_after_keyword"]) == (0, 2)
    assert (recipe["min_follow_gap_ms"], recipe["max_follow_gap_ms"]) == (400, 500)


def test_datasets_stream_command_with_one_background_level_keeps_it_alone(words, tmp_path):
    result = CliRunner().invoke(app, ["stream", "-d", str(words), "--minutes", "0.2", "--sample-rate", "8000",
                                      "-o", str(tmp_path / "s.wav"), "--background-db", "-40", "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    recipe = json.loads((tmp_path / "s.json").read_text())["settings"]
    assert (recipe["background_rms_db"], recipe["max_background_rms_db"]) == (-40.0, None)
    assert recipe["max_words_after_keyword"] == 0 and recipe["min_follow_gap_ms"] is None


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--background-db", "-30,-50", "--background-db='-30,-50': LOW is above HIGH; give LOW,HIGH"),
        ("--background-db", "loud", "--background-db='loud': give LOW,HIGH"),
        ("--words-after-keyword", "0,1.5", "--words-after-keyword='0,1.5': give whole numbers LOW,HIGH >= 0"),
        ("--follow-gap-ms", "500,100", "--follow-gap-ms='500,100': LOW is above HIGH"),
    ],
)
def test_datasets_stream_command_rejects_bad_new_ranges_in_one_line(words, tmp_path, option, value, message):
    result = CliRunner().invoke(app, ["stream", "-d", str(words), option, value, "-o", str(tmp_path / "s.wav")])
    assert result.exit_code != 0 and message in str(result.exception) and "\n" not in str(result.exception)
    assert not (tmp_path / "s.wav").exists()
