"""``harken datasets stream``: make a long labelled test stream from a folder dataset (parse, call, print)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

EPILOG = (
    "Examples:\n\n"
    "  harken datasets stream --dataset data/speech_commands_dev --minutes 10 --out stream.wav\n\n"
    "  harken datasets stream --dataset dev/ --minutes 60 --background noise/ --snr-db 0,15 --reverb 0.3 "
    "--seed 1 --out hour.wav\n\n"
    "  harken datasets stream --dataset dev/ --minutes 40 --background dev/_silence_ --background-db -50,-30 "
    "--gap-ms 1000,2500 --words-after-keyword 0,2 --silence-share 0 --out real40.wav\n\n"
    "--background-db LOW,HIGH draws each background piece's level in the range and makes each word's SNR "
    "relative to the pieces under it; one value keeps each piece at that level +- 3 dB and the SNRs relative "
    "to it. --words-after-keyword LOW,HIGH puts that many other words (_unknown_) right after each keyword, "
    "--follow-gap-ms before each of them (default --gap-ms)."
)


def _pair(text: str, option: str) -> tuple[float, float]:
    from harken.errors import SettingsError

    parts = text.split(",")
    try:
        low, high = (float(parts[0]), float(parts[-1])) if len(parts) in (1, 2) else (None, None)
    except ValueError:
        low = None
    if low is None:
        raise SettingsError(f"{option}={text!r}: give LOW,HIGH (for example 5,20) or one value")
    return low, high


def _range(text: str, option: str) -> tuple[float, float]:
    from harken.errors import SettingsError

    low, high = _pair(text, option)
    if low > high:
        raise SettingsError(f"{option}={text!r}: LOW is above HIGH; give LOW,HIGH")
    return low, high


def _counts(text: str, option: str) -> tuple[int, int]:
    from harken.errors import SettingsError

    low, high = _range(text, option)
    if not (low.is_integer() and high.is_integer()) or low < 0:
        raise SettingsError(f"{option}={text!r}: give whole numbers LOW,HIGH >= 0 (for example 0,2)")
    return int(low), int(high)


def stream(
    dataset: Annotated[Path, typer.Option("--dataset", "-d", help="A folder of class folders (on/, off/, _unknown_/, _silence_/ or one per word).")],
    minutes: Annotated[float, typer.Option(help="Length of the stream in minutes.")] = 10.0,
    out: Annotated[Path, typer.Option("--out", "-o", help="The stream .wav; the labels go to the same name with .csv, the recipe with .json.")] = Path("stream.wav"),
    keywords: Annotated[Optional[str], typer.Option(help="Comma-separated keyword folders (default: every folder not starting with '_'); other words are labelled _unknown_.")] = None,
    background: Annotated[Optional[Path], typer.Option(help="A folder of noise recordings (default: harken's generated noise).")] = None,
    snr_db: Annotated[str, typer.Option("--snr-db", help="Range of each word's level above the background, LOW,HIGH in dB.")] = "5,20",
    background_db: Annotated[str, typer.Option("--background-db", help="Background level in dBFS RMS: one value (each piece +- 3 dB), or LOW,HIGH (each piece's level drawn in the range; SNRs relative to it).")] = "-45",
    reverb: Annotated[float, typer.Option(help="Share of clips played in a simulated room (0..1).")] = 0.0,
    gap_ms: Annotated[str, typer.Option("--gap-ms", help="Silence from a word's end to the next clip, LOW,HIGH in ms (keep LOW above the model's suppression_ms).")] = "1500,4000",
    words_after_keyword: Annotated[str, typer.Option("--words-after-keyword", help="Other words right after each keyword, LOW,HIGH (0,0: none; the kinds are drawn as usual).")] = "0,0",
    follow_gap_ms: Annotated[Optional[str], typer.Option("--follow-gap-ms", help="Gap before each word that follows a keyword, LOW,HIGH in ms (default: --gap-ms).")] = None,
    keyword_share: Annotated[float, typer.Option(help="Share of inserted clips that are keywords.")] = 0.5,
    silence_share: Annotated[float, typer.Option(help="Share of inserted clips from _silence_ (labelled _silence_); the rest are other words.")] = 0.1,
    sample_rate: Annotated[int, typer.Option(help="Sample rate of the stream in Hz.")] = 16000,
    seed: Annotated[int, typer.Option(help="Seed: the same folder and seed give the same bytes.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
) -> None:
    """Insert keywords and other words from a labelled folder into background noise; write the wav and its labels CSV.

    Each label is the word's real extent (from the clip's energy), not the 1 s clip.
    """
    from harken.streaming.make_stream import StreamSettings, make_stream

    low_snr, high_snr = _pair(snr_db, "--snr-db")
    low_gap, high_gap = _pair(gap_ms, "--gap-ms")
    low_db, high_db = _range(background_db, "--background-db")
    low_after, high_after = _counts(words_after_keyword, "--words-after-keyword")
    follow = _counts(follow_gap_ms, "--follow-gap-ms") if follow_gap_ms is not None else (None, None)
    words = tuple(k.strip() for k in keywords.split(",") if k.strip()) if keywords else None
    settings = StreamSettings(minutes=minutes, sample_rate_hz=sample_rate, keywords=words, min_snr_db=low_snr,
                              max_snr_db=high_snr, background_rms_db=low_db,
                              max_background_rms_db=high_db if "," in background_db else None, reverb=reverb,
                              min_gap_ms=int(low_gap), max_gap_ms=int(high_gap), keyword_share=keyword_share,
                              min_words_after_keyword=low_after, max_words_after_keyword=high_after,
                              min_follow_gap_ms=follow[0], max_follow_gap_ms=follow[1],
                              silence_share=silence_share, seed=seed)  # fmt: skip
    if quiet or as_json:
        made = make_stream(dataset, out, settings, background=background)
    else:
        from harken.cli.evaluate import _progress

        with _progress(False, "stream (s)") as progress:
            made = make_stream(dataset, out, settings, background=background, progress=progress)
    summary = {"wav": str(made.wav), "labels": str(made.labels_csv), "recipe": str(made.recipe_json),
               "duration_s": made.duration_s, "num_labels": len(made.labels), "counts": made.counts,
               "num_clipped_samples": made.num_clipped_samples}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(summary))
    elif not quiet:
        counts = ", ".join(f"{k} {v}" for k, v in made.counts.items())
        typer.echo(f"{made.duration_s / 60:.1f} min, {len(made.labels)} labelled words ({counts}) -> {made.wav}, "
                   f"{made.labels_csv}")  # fmt: skip
