"""Generated espeak-ng speakers: voice variants with drawn formants, pitch, voicing, breath and consonant strength.

espeak-ng bundles about a hundred hand-made voice variants; real speakers differ in vocal-tract
length and formant spacing, pitch, breathiness, spectral tilt and how hard they articulate their
consonants (a weak /f/ or /p/ at the end of a word). ``variant_text(seed, index)`` draws one such
speaker as an espeak-ng variant file: pure and seeded, so the name ``hk<seed>-<index>`` alone
says what the speaker is, in any process.

espeak-ng reads variants only from inside its data folder, by a path relative to ``voices/!v``,
and lists at most 350 voice files there (more, and languages drop out of its list). So
``overlay_data_path()`` mirrors the bundled data folder in harken's cache (real folders, linked
files) and the generated files go into its ``h/`` folder, outside ``voices/``, reached as
``../../h/<name>`` (``espeak_voice_name``; espeak-ng takes names of at most 35 characters).

    >>> voice = generated_voices(2, seed=3)[1]
    >>> voice.label
    'en+hk3-1'
    >>> espeak_voice_name(voice)
    'en+../../h/hk3-1'
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np

from harken._util.atomic import write_text_atomic
from harken.errors import AudioError, SettingsError
from harken._util.paths import cache_dir

#: the languages generated speakers are dealt over, in turn (espeak-ng English voices that load)
GENERATED_LANGUAGES = ("en-us", "en", "en-gb-x-rp", "en-us-nyc", "en-gb-scotland")
_NAME = re.compile(r"hk(\d{1,4})-(\d{1,5})")
#: espeak-ng aborts the process on a voice name over 35 characters: "en-gb-scotland+../../h/hk9999-99999" is 35
MAX_SEED = 9_999
MAX_SPEAKERS = 99_999
#: the folder of generated variant files, inside the mirrored data folder (outside voices/, which espeak-ng lists)
SPEAKERS_FOLDER = "h"


def variant_name(seed: int, index: int) -> str:
    """The variant name of generated speaker ``index`` of ``seed`` (``hk3-17``)."""
    if not (0 <= seed <= MAX_SEED and 0 <= index <= MAX_SPEAKERS):
        raise SettingsError(f"generated speaker seed={seed}, index={index}: use a seed in 0..{MAX_SEED}, "
                            f"an index in 0..{MAX_SPEAKERS}")
    return f"hk{seed}-{index}"


def parse_variant(variant: str) -> tuple[int, int] | None:
    """(seed, index) of a generated variant name, None for any other (bundled) variant."""
    m = _NAME.fullmatch(variant)
    return (int(m.group(1)), int(m.group(2))) if m else None


def espeak_voice_name(voice) -> str:
    """The name espeak-ng loads ``voice`` by: its label, or for a generated speaker the path of its variant file."""
    if parse_variant(voice.variant) is None:
        return voice.label
    return f"{voice.name}+../../{SPEAKERS_FOLDER}/{voice.variant}"


def generated_voices(count: int, *, seed: int = 0, languages: tuple[str, ...] = GENERATED_LANGUAGES) -> tuple:
    """``count`` generated speakers as espeak voices, languages dealt in turn."""
    from harken.audio.tts.engines import Voice

    return tuple(Voice(engine="espeak", name=languages[i % len(languages)], variant=variant_name(seed, i))
                 for i in range(count))  # fmt: skip


def variant_text(seed: int, index: int) -> str:
    """The espeak-ng variant file of one generated speaker (see espeak-ng's docs/voices.md for the keywords).

    Drawn from ``default_rng([seed, index])``: a male or female vocal tract (formant frequencies
    scaled 0.88-1.04 or 1.06-1.24, each formant jittered +-5 %), formant heights and widths, a
    pitch range, voicing, breathiness (a third of the speakers), roughness, flutter, spectral tilt
    (``tone``) and the strength of unvoiced and voiced consonants (50-160 %).
    """
    rng = np.random.default_rng([seed, index])
    female = bool(rng.random() < 0.5)
    tract = rng.uniform(1.06, 1.24) if female else rng.uniform(0.88, 1.04)
    lines = ["language variant", f"name {variant_name(seed, index)}", f"gender {'female' if female else 'male'}"]
    base = rng.uniform(140.0, 190.0) if female else rng.uniform(70.0, 100.0)
    top = base * (rng.uniform(1.3, 1.6) if female else rng.uniform(1.35, 1.7))
    lines.append(f"pitch {round(base)} {round(top)}")
    for k in range(9):
        scale = rng.uniform(0.95, 1.08) if k == 0 else tract * (rng.uniform(0.95, 1.05) if k <= 5 else 1.0)
        lines.append(f"formant {k} {round(100 * scale)} {round(rng.uniform(65, 120))} {round(rng.uniform(80, 160))}")
    lines.append(f"voicing {round(rng.uniform(70, 160))}")
    lines.append(f"consonants {round(rng.uniform(50, 160))} {round(rng.uniform(60, 150))}")
    if rng.random() < 1 / 3:
        lines.append("breath " + " ".join(str(round(v)) for v in rng.uniform(0, 8, size=8)))
        lines.append("breathw 150 150 200 200 400 400 600 600")
    lines.append(f"roughness {int(rng.integers(0, 5))}")
    lines.append(f"flutter {int(rng.integers(0, 31))}")
    tone = [round(min(255.0, a * rng.uniform(0.7, 1.4))) for a in (170, 135, 110, 110)]
    lines.append(f"tone 600 {tone[0]} 1200 {tone[1]} 2000 {tone[2]} 3000 {tone[3]}")
    return "\n".join(lines) + "\n"


def overlay_data_path(data_path: str | os.PathLike) -> Path:
    """A copy of espeak-ng's data folder made of links, with an ``h/`` folder of its own for generated speakers (in harken's cache).

    Folders are real and files are links (copies where links cannot be made). Built once per
    bundled data folder, in a temporary sibling renamed into place, so a crash never leaves half a
    folder.
    """
    source = Path(data_path)
    if not (source / "voices" / "!v").is_dir():  # the folder that variant paths are relative to
        raise AudioError(f"espeak-ng: {source} has no voices/!v folder; reinstall espeakng-loader")
    digest = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:12]
    final = cache_dir() / "espeak-overlay" / digest / "espeak-ng-data"
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=final.parent))
    try:
        _link_tree(source, partial)
        (partial / SPEAKERS_FOLDER).mkdir()
        try:
            partial.rename(final)
        except OSError:  # another process finished first: use its folder
            if not final.is_dir():
                raise
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return final


def _link_tree(source: Path, target: Path) -> None:
    """Mirror ``source`` in ``target``: real folders (espeak-ng does not descend into linked ones), linked files."""
    for root, folders, files in os.walk(source):
        into = target / Path(root).relative_to(source)
        for name in folders:
            (into / name).mkdir()
        for name in files:
            try:
                os.symlink(Path(root) / name, into / name)
            except OSError:
                shutil.copy2(Path(root) / name, into / name)


def ensure_variant_file(overlay: Path, variant: str) -> None:
    """Write the variant file of a generated speaker into ``overlay`` unless it is there already (atomically)."""
    parsed = parse_variant(variant)
    if parsed is None:
        raise SettingsError(f"{variant!r} is not a generated speaker's name (hk<seed>-<index>)")
    path = overlay / SPEAKERS_FOLDER / variant
    text = variant_text(*parsed)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        write_text_atomic(path, text)  # its temporary file sits in h/, which espeak-ng never lists


def write_variant_files(voices) -> None:
    """Write the variant files of every generated speaker among ``voices`` (before worker processes start)."""
    import espeakng_loader

    variants = sorted({v.variant for v in voices if v.engine == "espeak" and parse_variant(v.variant)})
    if variants:
        overlay = overlay_data_path(espeakng_loader.get_data_path())
        for variant in variants:
            ensure_variant_file(overlay, variant)
