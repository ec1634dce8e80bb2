"""Compose: a spec's augmentation, a list of waveform transforms run in order, plus negatives and masks.

In: a word clip (int16 or float32), a key ``(seed, epoch, index)`` and an ``AugmentContext`` made
once by ``Compose.context`` (rate, buffer and window lengths, noise clips, impulse responses).
Out: float32 audio of the buffer's length in [-1, 1) and the applied transforms' params as plain
dicts (``name`` first; the placement always).

The list runs stage by stage (``harken.augment.base``): word transforms on the dry word, exactly
one ``Placement``, speech transforms on the placed speech, buffer transforms on the whole buffer;
then the buffer is clipped below full scale. Speech only ever lands inside the window; the
warm-up before it holds the same noise and floor. Besides the list:

- ``cropped_known``: a keyword sample becomes an ``_unknown_`` one with probability
  ``cropped_known.p`` (``picks_cropped_known``): the start of the word, put at the end of the
  window in place of ``Placement`` (``make_cropped_known``);
- ``silence``: a generated ``_silence_`` sample is this noise at a low level, then the list's
  transforms that also belong in silence (the mic floor) (``make_silence``);
- ``spec_augment``: masks on the int8 spectrogram (``mask_spectrogram``).

Each transform draws from its own stream, ``default_rng([*key, stream_key(name, occurrence)])``,
keyed by its name (and which occurrence of that name it is), never by its position: adding,
removing or moving a transform leaves what the others draw unchanged, and any sample can be
rebuilt alone from its key.
"""

from __future__ import annotations

import dataclasses
import difflib
import operator
import warnings
import zlib
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import numpy as np

from harken._util.settings import Settings, reject_unknown_keys, to_plain
from harken.audio.io import check_audio, to_float32
from harken.augment.band_limit import BandLimit
from harken.augment.base import (
    BUFFER,
    MAX_SAMPLE,
    PLACE,
    SPEECH,
    STAGES,
    WORD,
    AugmentContext,
    Transform,
    check_lengths,
    params_to_dict,
)
from harken.augment.cropped import CroppedKnown
from harken.augment.gain import Gain
from harken.augment.mic_eq import MicEq
from harken.augment.mic_floor import MicFloor
from harken.augment.narrowband import Narrowband
from harken.augment.noise_mix import BackgroundNoise
from harken.augment.pitch import PitchShift
from harken.augment.placement import Placement
from harken.augment.reverb import Reverb
from harken.augment.silence import SilenceNoise
from harken.augment.spec_augment import SpecAugment
from harken.augment.speed import Speed
from harken.augment.trim import Trim
from harken.errors import AudioError, SettingsError

#: The transforms a list may hold, by the ``name`` their JSON items carry.
TRANSFORMS: dict[str, type[Transform]] = {
    t.name: t
    for t in (Trim, Speed, PitchShift, Gain, Placement, Reverb, BackgroundNoise, MicEq, BandLimit, Narrowband, MicFloor)
}
#: Compose's settings beside the list: (field, type).
_EXTRAS = (("cropped_known", CroppedKnown), ("silence", SilenceNoise), ("spec_augment", SpecAugment))
_STAGE_TEXT = {WORD: "acts on the dry word", PLACE: "places the word", SPEECH: "acts on the placed speech",
               BUFFER: "acts on the whole buffer"}  # fmt: skip


def default_transforms() -> list[Transform]:
    """harken's default recipe, measured useful on real voices, docs/experiments.md (the channel transforms are off).

    Speed 0.85-1.15, a +-2 semitone pitch shift (= the 0.88-1.12 vocal-tract-length warp), peak
    gain -30..-1 dBFS, a random offset in the window, reverb with p 0.5, noise at an SNR of 5-30 dB
    with p 0.8 and a mic floor at -90..-60 dBFS.
    """
    return [
        Trim(below_peak_db=40.0),
        Speed(p=0.8, min_speed_factor=0.85, max_speed_factor=1.15),
        PitchShift(p=0.5, min_semitones=-2.0, max_semitones=2.0),
        Gain(p=1.0, min_peak_dbfs=-30.0, max_peak_dbfs=-1.0),
        Placement(p=1.0),
        Reverb(p=0.5, tail_db=60.0),
        BackgroundNoise(p=0.8, min_snr_db=5.0, max_snr_db=30.0),
        MicFloor(p=1.0, min_level_dbfs=-90.0, max_level_dbfs=-60.0),
    ]


def stream_key(name: str, occurrence: int = 0) -> int:
    """A stable integer for a transform's random stream, from its name and occurrence (not its position).

    Examples
    --------
    >>> stream_key("speed") == stream_key("speed", 0) != stream_key("speed", 1)
    True
    """
    return zlib.crc32(f"{name}#{occurrence}".encode())


@dataclass(slots=True)
class Compose(Settings):
    """Waveform transforms composed in order, the negatives and the spectrogram masks of a spec.

    ``Compose()`` is harken's default recipe (``default_transforms()``, 5 % cropped-known keyword
    samples, silence noise at -75..-35 dBFS, SpecAugment masks); ``None`` turns an extra off.

    Examples
    --------
    >>> aug = Compose([Trim(), Gain(p=1.0), Placement(), MicFloor(p=1.0)], spec_augment=None)
    >>> ctx = aug.context(sample_rate_hz=16000, length=24000, window_length=16000)
    >>> x, log = aug(np.full(4000, 0.1, np.float32), key=(0, 0, 1), context=ctx)
    >>> x.shape, [d["name"] for d in log]
    ((24000,), ['trim', 'gain', 'placement', 'mic_floor'])
    >>> Compose.from_dict(aug.to_dict()) == aug
    True
    """

    transforms: list[Transform] = field(default_factory=default_transforms)
    _: KW_ONLY
    cropped_known: CroppedKnown | None = field(default_factory=CroppedKnown)
    silence: SilenceNoise | None = field(default_factory=SilenceNoise)
    spec_augment: SpecAugment | None = field(default_factory=SpecAugment)

    def __post_init__(self) -> None:
        if isinstance(self.transforms, tuple):
            self.transforms = list(self.transforms)
        self.validate()

    # ---- settings --------------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise SettingsError naming the first bad transform, a missing Placement or an order that cannot run."""
        if not isinstance(self.transforms, (list, tuple)):
            raise SettingsError(f"Compose.transforms is a {type(self.transforms).__name__}; use a list of transforms")
        for i, transform in enumerate(self.transforms):
            if not isinstance(transform, tuple(TRANSFORMS.values())):
                raise SettingsError(_not_a_list_transform(i, transform))
            transform.validate()
        places = [i for i, t in enumerate(self.transforms) if t.stage == PLACE]
        if len(places) != 1:
            where = f" (at {', '.join(f'transforms[{i}]' for i in places)})" if places else ""
            raise SettingsError(f"Compose.transforms has {len(places)} Placement transforms{where}; keep exactly one, "
                                "after the word transforms (Trim, Speed, PitchShift, Gain)")  # fmt: skip
        _check_order(self.transforms)
        for name, kind in _EXTRAS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, kind):
                raise SettingsError(f"Compose.{name} is a {type(value).__name__}; use {kind.__name__}(...) or None")
            if value is not None:
                value.validate()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: the list as ``{"name": ..., **settings}`` items, the extras as dicts (or None)."""
        out: dict[str, Any] = {"transforms": [{"name": t.name, **t.to_dict()} for t in self.transforms]}
        out.update({name: to_plain(getattr(self, name)) for name, _ in _EXTRAS})
        return out

    @classmethod
    def from_dict(cls, data: Any, *, owner: str | None = None) -> Compose:
        """Rebuild from ``to_dict()`` output; unknown keys and transform names are rejected with the closest."""
        owner = owner or "Compose"
        if not isinstance(data, dict):
            raise SettingsError(f"{owner}: expected an object of settings, got {type(data).__name__}")
        reject_unknown_keys(data, [f.name for f in dataclasses.fields(cls)], owner=owner)
        kwargs: dict[str, Any] = {}
        if "transforms" in data:
            items = data["transforms"]
            if not isinstance(items, list):
                raise SettingsError(f"{owner}.transforms: expected a list of transforms, got {type(items).__name__}")
            kwargs["transforms"] = [transform_from_dict(item, owner=f"{owner}.transforms[{i}]")
                                    for i, item in enumerate(items)]  # fmt: skip
        for name, kind in _EXTRAS:
            if name in data:
                kwargs[name] = None if data[name] is None else kind.from_dict(data[name], owner=f"{owner}.{name}")
        return cls(**kwargs)

    # ---- samples ---------------------------------------------------------------------------------
    def context(self, *, sample_rate_hz: int, length: int, window_length: int, noise_clips: Sequence[np.ndarray] = (),
                rirs: Sequence[np.ndarray] = ()) -> AugmentContext:  # fmt: skip
        """The context for this composition's samples, its resources readied once (``Transform.prepare``).

        ``length`` samples per buffer, the model window its last ``window_length``; ``noise_clips``
        are background recordings (empty: generated noises), ``rirs`` room impulse responses (empty: no reverb).
        """
        if isinstance(sample_rate_hz, bool) or not isinstance(sample_rate_hz, (int, np.integer)) or sample_rate_hz < 1000:
            raise SettingsError(f"sample_rate_hz={sample_rate_hz!r}: use the front end's rate (e.g. 16000)")
        check_lengths(length, window_length)
        clips = tuple(np.ascontiguousarray(to_float32(check_audio(clip, name=f"noise_clips[{i}]")))
                      for i, clip in enumerate(noise_clips))  # fmt: skip
        context = AugmentContext(sample_rate_hz=int(sample_rate_hz), length=int(length), window_length=int(window_length),
                                 noise_clips=clips, rirs=tuple(rirs))  # fmt: skip
        for transform in [*self.transforms, *(t for t in (self.cropped_known, self.silence) if t is not None)]:
            context = transform.prepare(context)
        return context

    def __call__(self, audio: np.ndarray, *, key: Sequence[int], context: AugmentContext) -> tuple[np.ndarray, list[dict]]:
        """A training sample: the word at a random place in the window, over noise and the floor."""
        return self._run(_checked_audio(audio), _checked_key(key), context, self._keyed())

    def picks_cropped_known(self, key: Sequence[int]) -> bool:
        """Whether the keyword sample ``key`` becomes a cropped-known ``_unknown_`` one (probability ``cropped_known.p``)."""
        if self.cropped_known is None or self.cropped_known.p == 0.0:
            return False
        return bool(stream(_checked_key(key), "pick_cropped_known").random() < self.cropped_known.p)

    def make_cropped_known(self, audio: np.ndarray, *, key: Sequence[int],
                           context: AugmentContext) -> tuple[np.ndarray, list[dict]]:  # fmt: skip
        """An ``_unknown_`` sample: the start of the word (its first 20-50 % by default), ending at the end of the window."""
        if self.cropped_known is None:
            raise SettingsError("Compose.cropped_known is None: there are no cropped-known samples to make; "
                                "set Compose(cropped_known=CroppedKnown(...))")  # fmt: skip
        crop = (self.cropped_known, stream_key(self.cropped_known.name))
        steps = [crop if t.stage == PLACE else (t, k) for t, k in self._keyed()]
        return self._run(_checked_audio(audio), _checked_key(key), context, steps)

    def make_silence(self, *, key: Sequence[int], context: AugmentContext) -> tuple[np.ndarray, list[dict]]:
        """A ``_silence_`` sample: the silence noise (``silence``) and the mic floor only, at random low levels."""
        check_lengths(context.length, context.window_length)
        steps = [(self.silence, stream_key(self.silence.name))] if self.silence is not None else []
        steps += [(t, k) for t, k in self._keyed() if t.in_silence]
        return self._run(np.zeros(context.length, np.float32), _checked_key(key), context, steps)

    def mask_spectrogram(self, spectrogram: np.ndarray, *, key: Sequence[int]) -> np.ndarray:
        """``spec_augment``'s time and frequency masks on an int8 ``[frames, channels]`` spectrogram (a new array)."""
        if not isinstance(spectrogram, np.ndarray) or spectrogram.ndim != 2:
            raise AudioError(f"mask_spectrogram: expected a [frames, channels] array, got shape {np.shape(spectrogram)}")
        if self.spec_augment is None:
            return spectrogram.copy()
        masks = self.spec_augment
        params = masks.sample(stream(_checked_key(key), masks.name), num_frames=spectrogram.shape[0],
                              num_channels=spectrogram.shape[1])  # fmt: skip
        return masks.apply(spectrogram, params)

    def _keyed(self) -> list[tuple[Transform, int]]:
        """Each transform with its stream key: its name and how many of that name came before it."""
        seen: dict[str, int] = {}
        out = []
        for transform in self.transforms:
            occurrence = seen[transform.name] = seen.get(transform.name, -1) + 1
            out.append((transform, stream_key(transform.name, occurrence)))
        return out

    @staticmethod
    def _run(audio: np.ndarray, key: tuple[int, ...], context: AugmentContext,
             steps: list[tuple[Transform, int]]) -> tuple[np.ndarray, list[dict]]:  # fmt: skip
        """Draw and apply each step on its own stream; the place step sets the speech span; clip at the end."""
        log = []
        for transform, transform_key in steps:
            params = transform.sample(np.random.default_rng([*key, transform_key]), audio, context)
            audio = transform.apply(audio, params, context)
            if transform.stage == PLACE:
                context = dataclasses.replace(context, speech_span=params.speech_span)
            if params.applied or transform.stage == PLACE:
                log.append(params_to_dict(transform.name, params))
        # the place step (or make_silence's zeros) made a new buffer: clipping it in place leaves the caller's clip alone
        return np.clip(audio, -1.0, MAX_SAMPLE, out=audio), log


def transform_from_dict(data: Any, *, owner: str = "transform") -> Transform:
    """A list transform from ``{"name": ..., **settings}`` (``Compose.to_dict`` items)."""
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise SettingsError(f'{owner}: expected an object with a "name", one of {", ".join(TRANSFORMS)}')
    settings = dict(data)
    name = settings.pop("name")
    kind = TRANSFORMS.get(name)
    if kind is None:
        close = difflib.get_close_matches(name, list(TRANSFORMS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise SettingsError(f"{owner}: unknown transform {name!r}; {hint}use one of {', '.join(TRANSFORMS)}")
    return kind.from_dict(settings, owner=f"{owner} ({kind.__name__})")


def stream(key: Sequence[int], name: str, occurrence: int = 0) -> np.random.Generator:
    """The random stream of transform ``name`` (its ``occurrence``-th in the list) for the sample ``key``."""
    return np.random.default_rng([*key, stream_key(name, occurrence)])


def _check_order(transforms: Sequence[Transform]) -> None:
    """Stages never go back: dry word, then the placement, then the placed speech, then the whole buffer."""
    latest = 0  # index of the transform of the latest stage so far
    for i, transform in enumerate(transforms):
        before = transforms[latest]
        if STAGES.index(transform.stage) < STAGES.index(before.stage):
            raise SettingsError(
                f"Compose.transforms[{i}] {type(transform).__name__} {_STAGE_TEXT[transform.stage]}, so it must come "
                f"before {type(before).__name__} (transforms[{latest}], which {_STAGE_TEXT[before.stage]}); "
                "order them: dry word, Placement, placed speech, whole buffer"
            )
        if STAGES.index(transform.stage) > STAGES.index(before.stage):
            latest = i


def _not_a_list_transform(index: int, value: Any) -> str:
    """The message for a list item that is not one of ``TRANSFORMS``."""
    for name, kind in _EXTRAS:
        if isinstance(value, kind):
            return (f"Compose.transforms[{index}] is a {kind.__name__}, which is not a list transform; "
                    f"set Compose(..., {name}={kind.__name__}(...)) instead")  # fmt: skip
    names = ", ".join(t.__name__ for t in TRANSFORMS.values())
    return f"Compose.transforms[{index}] is a {type(value).__name__}; use one of {names}"


def _checked_audio(audio: np.ndarray) -> np.ndarray:
    """``audio`` as float32, checked (1-D, finite, not empty); a warning when it is all zeros."""
    audio = to_float32(check_audio(audio, name="audio"))
    if not audio.any():
        warnings.warn("audio is all zeros: the sample holds no speech (and no noise, whose level follows it)", stacklevel=3)
    return audio


def _checked_key(key: Sequence[int]) -> tuple[int, ...]:
    """``key`` as a tuple of non-negative integers (what ``default_rng`` takes)."""
    try:
        out = tuple(operator.index(k) for k in key)
    except TypeError:
        out = ()
    if not out or min(out) < 0:
        raise SettingsError(f"key={key!r}: use non-negative integers such as (seed, epoch, index)")
    return out
