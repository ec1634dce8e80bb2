"""Speaker splits: the published Speech Commands which_set rule, and no speaker in two splits."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pytest

from harken.datasets.splits import percentage_hash, speaker_of, split_of_speaker, which_set
from harken.errors import SettingsError

DATA = Path(__file__).parents[1] / "data"


def published_which_set(filename: str, validation_percentage: float, testing_percentage: float) -> str:
    """The rule as printed in the Speech Commands README, written out again independently."""
    max_num_wavs_per_class = 2**27 - 1
    base_name = filename.rsplit("/", 1)[-1]
    hash_name = re.sub(r"_nohash_.*$", "", base_name)
    hash_name_hashed = hashlib.sha1(hash_name.encode("utf-8")).hexdigest()
    percentage_hash = (int(hash_name_hashed, 16) % (max_num_wavs_per_class + 1)) * (100.0 / max_num_wavs_per_class)
    if percentage_hash < validation_percentage:
        return "validation"
    if percentage_hash < (testing_percentage + validation_percentage):
        return "testing"
    return "training"


def reference_rows() -> list[dict]:
    with open(DATA / "speech_commands_splits.tsv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.mark.parametrize(
    "name", ["022cd682_nohash_0.wav", "0a7c2a8d_nohash_3.wav", "ffd2ba2f_nohash_1.wav", "alice", "x_nohash_"]
)
@pytest.mark.parametrize("percentages", [(10.0, 10.0), (5.0, 30.0), (0.0, 0.0), (50.0, 50.0)])
def test_which_set_matches_published_formula(name, percentages):
    assert which_set(name, validation_percentage=percentages[0], testing_percentage=percentages[1]) == (
        published_which_set(name, *percentages)
    )


def test_which_set_matches_speech_commands_partition_of_real_files():
    rows = reference_rows()
    assert {r["sc_split"] for r in rows} == {"training", "validation", "testing"}
    for row in rows:
        if "_" not in row["file"].split("/")[-1].split("_nohash_")[0]:
            assert which_set(row["file"]) == row["sc_split"], row["file"]
        assert split_of_speaker(speaker_of(row["file"])) == row["sc_split"], row["file"]


def test_speaker_of_reads_speech_commands_and_flattened_unknown_names():
    for row in reference_rows():
        assert speaker_of(row["file"]) == row["speaker"]


def test_speaker_of_other_names_uses_part_before_first_underscore():
    assert speaker_of("recordings/alice_take3.flac") == "alice"
    assert speaker_of("bob.wav") == "bob"
    assert speaker_of("_odd.wav") == "_odd"


def test_split_of_speaker_equals_which_set_of_its_files():
    for speaker in ["022cd682", "ab12cd34", "speaker-7", "Ünïcode"]:
        expected = which_set(f"{speaker}_nohash_0.wav", validation_percentage=20, testing_percentage=15)
        assert split_of_speaker(speaker, validation_percentage=20, testing_percentage=15) == expected


def test_percentage_hash_is_in_range():
    values = [percentage_hash(f"speaker{i}") for i in range(2000)]
    assert min(values) >= 0.0 and max(values) <= 100.0 + 1e-9
    share_validation = sum(v < 10.0 for v in values) / len(values)
    assert 0.07 < share_validation < 0.13


def test_which_set_rejects_percentages_over_100():
    with pytest.raises(SettingsError, match="validation_percentage=60"):
        which_set("a_nohash_0.wav", validation_percentage=60, testing_percentage=50)
    with pytest.raises(SettingsError, match="testing_percentage=-1"):
        split_of_speaker("a", testing_percentage=-1)
