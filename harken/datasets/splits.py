"""Split a dataset by speaker into training / validation / testing, never splitting a speaker.

In: file names (or speaker ids). Out: ``"training"``, ``"validation"`` or ``"testing"``.

The rule is the one published with Speech Commands (README, and TensorFlow's
``tensorflow/examples/speech_commands/input_data.py: which_set``): the part of the file name before
``_nohash_`` is hashed with SHA-1, the digest taken modulo ``MAX_NUM_WAVS_PER_CLASS + 1`` and scaled
to a percentage; below ``validation_percentage`` is validation, below ``validation + testing`` is
testing, the rest training. Because the hash depends only on the speaker, a speaker's clips always
land in the same split, and adding files never moves old ones.

Speaker ids (``speaker_of``), documented once here:

- ``<speaker>_nohash_<n>.wav`` (Speech Commands): the part before ``_nohash_``. When that part holds
  an underscore (``<word>_<speaker>_nohash_<n>.wav``, the layout of flattened ``_unknown_``
  folders), the text after its last underscore. For real Speech Commands names this is exactly
  the string ``which_set`` hashes, so ``split_of_speaker(speaker_of(f)) == which_set(f)``.
- any other name: the part of the file stem before the first ``_`` (``alice_003.wav`` -> ``alice``);
  a stem without ``_`` is its own speaker.
- a manifest (see ``harken.datasets.directory``) overrides both.

This module does not read files; it only looks at names.
"""

from __future__ import annotations

import hashlib
import os
import re

from harken.errors import SettingsError

MAX_NUM_WAVS_PER_CLASS = 2**27 - 1  # ~134M, the constant of the published rule
SPLITS = ("training", "validation", "testing")
_NOHASH = re.compile(r"_nohash_.*$")


def check_percentages(validation_percentage: float, testing_percentage: float) -> None:
    """Raise ``SettingsError`` unless both are in [0, 100] and their sum is at most 100."""
    for name, value in (("validation_percentage", validation_percentage), ("testing_percentage", testing_percentage)):
        if not 0.0 <= float(value) <= 100.0:
            raise SettingsError(f"{name}={value} is outside [0, 100]; use a percentage such as 10")
    if validation_percentage + testing_percentage > 100.0:
        raise SettingsError(
            f"validation_percentage={validation_percentage} + testing_percentage={testing_percentage} > 100; "
            "lower one of them"
        )


def percentage_hash(text: str) -> float:
    """The published rule's position of ``text`` in [0, 100]: sha1 -> int mod (2**27) -> percent."""
    hashed = hashlib.sha1(text.encode("utf-8")).hexdigest()
    return (int(hashed, 16) % (MAX_NUM_WAVS_PER_CLASS + 1)) * (100.0 / MAX_NUM_WAVS_PER_CLASS)


def _split_for(value: float, validation_percentage: float, testing_percentage: float) -> str:
    if value < validation_percentage:
        return "validation"
    if value < testing_percentage + validation_percentage:
        return "testing"
    return "training"


def which_set(
    filename: str | os.PathLike, *, validation_percentage: float = 10.0, testing_percentage: float = 10.0
) -> str:
    """The Speech Commands ``which_set`` rule, exactly as published.

    Parameters
    ----------
    filename : str or PathLike
        A file name or path; only its base name is used (``.../on/0a7c2a8d_nohash_0.wav``).
    validation_percentage, testing_percentage : float in [0, 100]
        Shares of speakers for validation and testing (10 and 10 in Speech Commands).

    Returns
    -------
    str: ``"training"``, ``"validation"`` or ``"testing"``.

    Examples
    --------
    >>> which_set("on/022cd682_nohash_0.wav")
    'testing'
    """
    check_percentages(validation_percentage, testing_percentage)
    base_name = os.path.basename(os.fspath(filename))
    hash_name = _NOHASH.sub("", base_name)
    return _split_for(percentage_hash(hash_name), validation_percentage, testing_percentage)


def speaker_of(filename: str | os.PathLike) -> str:
    """The speaker id of a file, from its name (the rule is in the module docstring).

    Examples
    --------
    >>> speaker_of("on/022cd682_nohash_0.wav"), speaker_of("backward_0c540988_nohash_0.wav")
    ('022cd682', '0c540988')
    >>> speaker_of("alice_003.flac"), speaker_of("take7.wav")
    ('alice', 'take7')
    """
    base_name = os.path.basename(os.fspath(filename))
    if "_nohash_" in base_name:
        prefix = base_name.split("_nohash_", 1)[0]
        return prefix.rsplit("_", 1)[-1] if "_" in prefix else prefix
    stem = os.path.splitext(base_name)[0]
    return stem.split("_", 1)[0] if "_" in stem and stem.split("_", 1)[0] else stem


def split_of_speaker(
    speaker: str, *, validation_percentage: float = 10.0, testing_percentage: float = 10.0
) -> str:
    """The split of every clip of ``speaker``: the ``which_set`` formula applied to the speaker id.

    Examples
    --------
    >>> split_of_speaker("022cd682") == which_set("022cd682_nohash_3.wav")
    True
    """
    check_percentages(validation_percentage, testing_percentage)
    return _split_for(percentage_hash(speaker), validation_percentage, testing_percentage)
