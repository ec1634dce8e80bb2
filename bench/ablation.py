"""Ablation of the on_off_offline data recipe on real voices: train, score on dev, tabulate.

Each row is a full recipe (cumulative: a row names its parent and what it changes). For each row and
seed the script writes a spec file (the built-in ``on_off_offline`` with the row's settings),
runs ``harken train`` on it (timed, one run at a time), and scores the int8 model:

- on the real dev set (``--dev``, default ``$HARKEN_DEV`` or ../shared/data/speech_commands_dev):
  top-class balanced accuracy, recall of on / off / reject, false accepts;
- on the held-out synthetic voices (the espeak-ng Klatt-synthesiser variants, never trained on in
  the rows that hold them out): the leave-one-engine-out proxy, to see whether it tracks dev.

The ``dev_mix`` rows train the built-in ``on_off_dev_mix`` on half of the dev speakers
(``HARKEN_REAL_CLIPS`` = the dev folder) and score it on the other half only. It fine-tunes
``on_off_offline``, which the first such row trains in the same work folder (about 10 minutes on
2 cores); each dev_mix row then takes about 8-12 minutes. The offline rows up to ``negatives`` (and
those built on it) keep the 40 dB dynamic range they were measured with; ``range60`` is the
quickstart's recipe now. The dev_mix rows follow the quickstart as it is: those listed in
docs/experiments.md before the 60 dB change (real16, ...) were measured on the 40 dB one.
Rows of experiments since removed from harken (distillation, soups, mixup, label smoothing, focal
loss, channel_mean, max pooling, generated speakers, weak endings, cold starts, truncated keywords)
are in git history; their results stay readable by --table.
It is a benchmark, never a test. Results are appended to ``--out`` (JSON lines); ``--table``
prints the table of every result found there (mean over seeds; "range" is the lowest and highest
seed, or for a single seed its 95 % range over speakers) to stderr and one JSON object to
stdout.

``--compare A,B`` pairs two rows by seed (their seeds in common) and prints B - A per figure: the
mean of the per-seed differences and its 95 % t-range over the seeds (a range that excludes 0 is
a difference these seeds resolve), plus the best balanced accuracy at <= 5 % false accepts over
every pair of uint8 keyword thresholds, scored again from the models in the work folder (an
oracle on dev: it shows the curve, it is not a way to choose thresholds).

    python bench/ablation.py --rows baseline,loeo --seeds 0,1
    python bench/ablation.py --table
    python bench/ablation.py --compare range60,range60_c39 --work DIR
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILTIN = REPO / "harken" / "spec" / "builtin" / "on_off_offline.py"
DEV_MIX = REPO / "harken" / "spec" / "builtin" / "on_off_dev_mix.py"

#: The espeak-ng variants built on the Klatt synthesiser: the held-out "engine" of the proxy.
KLATT_VOICES = ("*+klatt*", "*+Reed", "*+adam", "*+announcer", "*+benjamin", "*+caleb", "*+david", "*+edward*", "*+mike2")

_OLD_SYNTH = {"keywords": ["on", "off"], "num_clips_per_keyword": 1000, "num_unknown": 2000}
_HELD_OUT_VALIDATION = {**_OLD_SYNTH, "num_clips_per_keyword": 200, "num_unknown": 400, "seed": 1,
                        "include_voices": list(KLATT_VOICES)}

_FROM_SCRATCH = ["spec.training.initial_weights = None", "spec.training.checkpoint_monitor = 'val_accuracy'",
                 "spec.training.lr_schedule = lambda epoch: 0.003 * 0.5 ** (epoch // 6)"]

#: The recipe's TENet (on_off_offline's model.options), for rows that change one of its options.
_RECIPE_TENET = {"channels": 32, "num_stages": 4, "blocks_per_stage": 2, "kernel_sizes": (9,)}
_WIDE = {"channels": 48, "num_stages": 4, "blocks_per_stage": 3, "kernel_sizes": (9, 5, 3)}

def _dynamic_range(db: float) -> list[str]:
    """Spec-file lines that set the front end's dynamic int8 range."""
    return ["import dataclasses", f"spec.frontend = dataclasses.replace(spec.frontend, quantize_dynamic_scale_range_db={db!r})"]


_RANGE60 = _dynamic_range(60.0)


def _frontend(**settings) -> list[str]:
    """Spec-file lines that change front-end settings (they travel in the model, so firmware follows)."""
    return ["import dataclasses", f"spec.frontend = dataclasses.replace(spec.frontend, **{settings!r})"]



def _base_weights(row: str, *, seed: int | None = None) -> list[str]:
    """Spec-file lines that fine-tune the model of ablation row ``row`` (of ``seed``; None: the spec's own seed)."""
    name = f"abl_{row}_s{seed}" if seed is not None else f"abl_{row}_s{{spec.seed}}"
    return ["import os", "spec.training.initial_weights = os.path.join(os.environ['HARKEN_HOME'], 'models', "
            f"f'{name}', f'{name}.keras')"]


def _offline_datasets(**synth) -> list[dict]:
    """The negatives row's datasets (slow rates, Klatt voices held out, 10 % silence) with ``synth`` changed."""
    training = {**_OLD_SYNTH, "num_unknown": 3000, "min_rate_wpm": 80, "max_rate_wpm": 170,
                "exclude_voices": list(KLATT_VOICES), **synth}
    return [{"synth": training, "validation_percentage": 0.0, "testing_percentage": 0.0, "silence_percentage": 10.0},
            {"synth": _HELD_OUT_VALIDATION, "validation_percentage": 100.0, "testing_percentage": 0.0}]

#: The rows' "aug.<name>" keys: the flat augmentation settings harken had before ``harken.augment.Compose``
#: (``AugmentationSettings``, git 4621ddd), each -> (transform, field) of the spec's Compose. The transform is
#: one of ``harken.augment.TRANSFORMS`` (the waveform list) or an extra of Compose (cropped_known, silence,
#: spec_augment). The flat defaults are Compose()'s, except the channel transforms (mic_eq, band_limit,
#: narrowband): off (p 0) there, absent from Compose() (``set_transform`` adds them).
AUG_FIELDS: dict[str, tuple[str, str]] = {
    "trim_below_peak_db": ("trim", "below_peak_db"),
    "p_offset": ("placement", "p"),
    "p_speed": ("speed", "p"),
    "min_speed_factor": ("speed", "min_speed_factor"),
    "max_speed_factor": ("speed", "max_speed_factor"),
    "p_pitch": ("pitch_shift", "p"),
    "min_pitch_semitones": ("pitch_shift", "min_semitones"),
    "max_pitch_semitones": ("pitch_shift", "max_semitones"),
    "p_gain": ("gain", "p"),
    "min_peak_dbfs": ("gain", "min_peak_dbfs"),
    "max_peak_dbfs": ("gain", "max_peak_dbfs"),
    "p_reverb": ("reverb", "p"),
    "rir_tail_db": ("reverb", "tail_db"),
    "p_noise": ("background_noise", "p"),
    "min_snr_db": ("background_noise", "min_snr_db"),
    "max_snr_db": ("background_noise", "max_snr_db"),
    "generated_noise_kinds": ("background_noise", "generated_kinds"),
    "p_mic_floor": ("mic_floor", "p"),
    "min_mic_floor_dbfs": ("mic_floor", "min_level_dbfs"),
    "max_mic_floor_dbfs": ("mic_floor", "max_level_dbfs"),
    "p_mic_eq": ("mic_eq", "p"),
    "max_mic_eq_gain_db": ("mic_eq", "max_gain_db"),
    "p_band_limit": ("band_limit", "p"),
    "min_highpass_hz": ("band_limit", "min_highpass_hz"),
    "max_highpass_hz": ("band_limit", "max_highpass_hz"),
    "min_lowpass_hz": ("band_limit", "min_lowpass_hz"),
    "max_lowpass_hz": ("band_limit", "max_lowpass_hz"),
    "p_narrowband": ("narrowband", "p"),
    "min_narrowband_rate_hz": ("narrowband", "min_rate_hz"),
    "max_narrowband_rate_hz": ("narrowband", "max_rate_hz"),
    "p_mu_law": ("narrowband", "p_mu_law"),
    "cropped_known_fraction": ("cropped_known", "p"),
    "min_cropped_fraction": ("cropped_known", "min_fraction"),
    "max_cropped_fraction": ("cropped_known", "max_fraction"),
    "p_silence_noise": ("silence", "p"),
    "min_silence_noise_dbfs": ("silence", "min_level_dbfs"),
    "max_silence_noise_dbfs": ("silence", "max_level_dbfs"),
    **{name: ("spec_augment", name) for name in ("p_time_mask", "max_num_time_masks", "max_time_mask_frames",
                                                 "p_freq_mask", "max_num_freq_masks", "max_freq_mask_channels")},
}
#: Flat settings without a counterpart in the Compose: what became of them.
_GONE_AUG_FIELDS = {
    "generated_noise_seed": "it seeded both the generated noises and the mic floor: set BackgroundNoise.seed and "
                            "MicFloor.seed with a \"code\" line instead",
    "silence_fraction": "it was unused; generated silence is DatasetSource.silence_percentage",
    **dict.fromkeys(("truncated_known_fraction", "min_truncated_fraction", "max_truncated_fraction"),
                    "truncated keywords were removed from harken (measured, not adopted)"),
    "p_cold_start": "cold starts were removed from harken (measured, not adopted)",
    **dict.fromkeys(("p_weak_ending", "min_weak_ending_fraction", "max_weak_ending_fraction", "min_weak_ending_db",
                     "max_weak_ending_db"), "weak endings were removed from harken (measured, not adopted)"),
}


def set_transform(aug, name: str, **fields):
    """``aug`` (a harken.augment.Compose) with fields of its transform ``name`` set; written into the spec files.

    ``name``: a list transform (harken.augment.TRANSFORMS; its first occurrence) or cropped_known,
    silence, spec_augment. A list transform ``aug`` lacks is added where the old chain had it
    (TRANSFORMS' order), off (p 0, as the flat settings had it) unless ``fields`` set p.
    """
    import dataclasses

    from harken.augment import TRANSFORMS, CroppedKnown, SilenceNoise, SpecAugment

    extras = {"cropped_known": CroppedKnown, "silence": SilenceNoise, "spec_augment": SpecAugment}
    if name in extras:
        return dataclasses.replace(aug, **{name: dataclasses.replace(getattr(aug, name) or extras[name](), **fields)})
    transforms, names, order = list(aug.transforms), [t.name for t in aug.transforms], list(TRANSFORMS)
    if name in names:
        i = names.index(name)
        transforms[i] = dataclasses.replace(transforms[i], **fields)
    else:
        i = next((k for k, n in enumerate(names) if order.index(n) > order.index(name)), len(names))
        off = {"p": 0.0} if "p" in {f.name for f in dataclasses.fields(TRANSFORMS[name])} else {}
        transforms.insert(i, TRANSFORMS[name](**{**off, **fields}))
    return dataclasses.replace(aug, transforms=transforms)


def augmentation_code(overrides: dict) -> list[str]:
    """Spec-file lines that set a row's flat augmentation settings (``AUG_FIELDS`` names) on ``spec.augmentation``."""
    by_transform: dict[str, dict] = {}
    for old, value in overrides.items():
        if old in _GONE_AUG_FIELDS:
            raise SystemExit(f"aug.{old}: no longer a setting: {_GONE_AUG_FIELDS[old]}")
        if old not in AUG_FIELDS:
            close = difflib.get_close_matches(old, list(AUG_FIELDS), n=1)
            hint = f"did you mean aug.{close[0]}? " if close else ""
            raise SystemExit(f"aug.{old}: unknown augmentation setting; {hint}use one of {', '.join(AUG_FIELDS)} "
                             "(bench/ablation.py AUG_FIELDS)")  # fmt: skip
        name, field = AUG_FIELDS[old]
        by_transform.setdefault(name, {})[field] = value
    if not by_transform:
        return []
    lines = ["# the row's augmentation settings: old flat names -> transform fields (bench/ablation.py AUG_FIELDS)",
             inspect.getsource(set_transform).rstrip()]
    for name, fields in by_transform.items():
        settings = ", ".join(f"{field}={value!r}" for field, value in fields.items())
        lines.append(f"spec.augmentation = set_transform(spec.augmentation, {name!r}, {settings})")
    return lines


# name: (parent, description, changes). Changes are dotted keys: "aug.<old flat name>" (AUG_FIELDS),
# "datasets" (a list of DatasetSource dicts), "train.<TrainingSettings field>", "model.options".
ROWS: dict[str, tuple[str | None, str, dict]] = {
    "dev_mix": (None, ("on_off_dev_mix: fine-tunes on_off_offline for 20 epochs on a third of its synthetic speech + 8 "
                       "copies of the dev speakers of one half, last epoch kept; scored on the other half"), {}),
    "dev_mix_real16": ("dev_mix", "dev_mix with 16 copies of the real clips (was 8)", {
        "code": ["real = spec.datasets[2]", "spec.datasets = spec.datasets[:2] + [real] * 16"],
    }),
    "dev_mix_unweighted": ("dev_mix", "dev_mix without class weights (was balanced: keywords x3 an unknown clip's weight)", {
        "code": ["spec.training.class_weights = None"],
    }),
    "dev_mix_real_only": ("dev_mix", "dev_mix fine-tuned on the real clips only (no synthetic speech)", {
        "code": ["spec.datasets = spec.datasets[1:]"],
    }),
    "dev_mix_clear_ending": ("dev_mix", ("dev_mix without SpecAugment time masks and with noise at 15-40 dB SNR (was 5-30): "
                                         "keeps the weak final /f/ of 'off' audible, which 'up' lacks"), {
        "aug.p_time_mask": 0.0, "aug.min_snr_db": 15.0, "aug.max_snr_db": 40.0,
    }),
    "dev_mix_wide": ("dev_mix", "dev_mix fine-tuning the wide row's base (48 channels, 3 blocks per stage, kernels 9/5/3)", {
        "code": [f"spec.model.options = {_WIDE!r}", *_base_weights("wide", seed=0)],
    }),
    "dev_mix_range60": ("dev_mix", "dev_mix fine-tuning the range60 row's base (60 dB dynamic int8 range, was 40)", {
        "code": [*_RANGE60, *_base_weights("range60", seed=0)],
    }),
    "dev_mix_own_base": ("dev_mix", ("dev_mix fine-tuning the range60 row's model of the same seed (dev_mix_range60 "
                                     "fine-tunes seed 0's for every seed): members with different bases, for ensembles"), {
        "code": [*_RANGE60, *_base_weights("range60")],
    }),
    "dev_mix_mined": ("dev_mix_range60", ("a second fine-tune of dev_mix_range60 (same seed) for 10 epochs (0.0005 halved every "
                                          "4) with the training-half clips it still gets wrong (hard examples: WORK/mined_sSEED, "
                                          "made by scoring the training half) added 16 times"), {
        "code": [*_RANGE60, *_base_weights("dev_mix_range60"),
                 "from harken.spec.model_spec import DatasetSource",
                 "work = os.path.dirname(os.environ['HARKEN_HOME'])",
                 "mined = DatasetSource(directory=os.path.join(work, f'mined_s{spec.seed}'), validation_percentage=0.0, "
                 "testing_percentage=0.0)",
                 "spec.datasets = spec.datasets + [mined] * 16",
                 "spec.training.epochs = 10",
                 "spec.training.lr_schedule = lambda epoch: 0.0005 * 0.5 ** (epoch // 4)"],
    }),
    "dev_mix_scratch": (None, ("on_off_dev_mix trained from scratch (the first version): 0.003 halved every 6 epochs, "
                               "epoch picked on the held-out synthetic voices"), {"code": _FROM_SCRATCH}),
    "dev_mix_real4": ("dev_mix_scratch", "dev_mix_scratch with 4 copies of the real clips and half of the quickstart's synthetic speech", {
        "code": [*_FROM_SCRATCH, "real = spec.datasets[2]", "spec.datasets = spec.datasets[:2] + [real] * 4",
                 "spec.datasets[0].synth.num_clips_per_keyword = 500", "spec.datasets[0].synth.num_unknown = 1500"],
    }),
    "baseline": (None, "on_off_offline before the ablation (synthetic validation selects the epoch)", {
        "datasets": [{"synth": _OLD_SYNTH}],
    }),
    "loeo": ("baseline", "Klatt voices held out of training; they are the validation set (leave-one-engine-out)", {
        "datasets": [
            {"synth": {**_OLD_SYNTH, "exclude_voices": list(KLATT_VOICES)}, "validation_percentage": 0.0,
             "testing_percentage": 0.0},
            {"synth": _HELD_OUT_VALIDATION, "validation_percentage": 100.0, "testing_percentage": 0.0},
        ],
    }),
    "channel": ("loeo", "microphone EQ (+-6 dB), band limits (100-400 Hz, 3-7 kHz), narrowband 8-11 kHz", {
        "aug.p_mic_eq": 0.5, "aug.p_band_limit": 0.5, "aug.p_narrowband": 0.15,
    }),
    "slow_words": ("channel", "espeak rate 80-170 wpm (was 120-220): real isolated words last ~1.7x longer", {
        "datasets": [
            {"synth": {**_OLD_SYNTH, "min_rate_wpm": 80, "max_rate_wpm": 170, "exclude_voices": list(KLATT_VOICES)},
             "validation_percentage": 0.0, "testing_percentage": 0.0},
            {"synth": _HELD_OUT_VALIDATION, "validation_percentage": 100.0, "testing_percentage": 0.0},
        ],
    }),
    "negatives": ("slow_words", "10 % generated silence as _unknown_, 3000 unknown clips, near-misses up/stop/four/down...", {
        "datasets": _offline_datasets(),
    }),
    "unweighted": ("negatives", "no class weights (was balanced: keywords x3 the weight of an unknown clip)", {
        "train.class_weights": None,
    }),
    "large": ("negatives", "twice the synthetic speech (2,000 clips per keyword, 6,000 unknown), 30 epochs (0.003 halved every 8)", {
        "datasets": _offline_datasets(num_clips_per_keyword=2000, num_unknown=6000),
        "train.epochs": 30,
        "code": ["spec.training.lr_schedule = lambda epoch: 0.003 * 0.5 ** (epoch // 8)"],
    }),
    "ema": ("negatives", "weights averaged by the optimizer (EMA, momentum 0.99), last epoch kept (was: epoch picked on held-out voices)", {
        "code": ["spec.training.optimizer_options = {'use_ema': True, 'ema_momentum': 0.99}",
                 "spec.training.checkpoint_monitor = None"],
    }),
    "wide": ("negatives", "a larger TENet: 48 channels (was 32), 3 blocks per stage (was 2), kernels 9/5/3 (was 9)", {
        "model.options": _WIDE,
    }),
    "range60": ("negatives", ("a 60 dB dynamic int8 range (was 40): word-final consonants (the /f/ of 'off', the /p/ of "
                              "'up') lie 40-60 dB under the vowel's peak"), {"code": _RANGE60}),
    "more_unknown": ("range60", "5,000 unknown clips (was 3,000; keywords stay at 1,000 each): more word variety against false accepts", {
        "datasets": _offline_datasets(num_unknown=5000),
    }),
    "range60_c39": ("range60", ("the recipe's TENet widened to 39 channels (was 32): 3.66 M MACs, the cost of channel_mean_both "
                                "(3.65 M), its same-cost control"), {
        "model.options": {**_RECIPE_TENET, "channels": 39},
    }),
    "range60_wide": ("range60", ("the wide row's larger TENet (48 channels, 3 blocks per stage, kernels 9/5/3: 6.6 M MACs as int8) on "
                                 "the recipe: one model at about the cost of on_off_offline_large's three merged (8.0 M)"), {
        "model.options": _WIDE,
    }),
    "range60_unweighted": ("range60", "range60 without class weights", {
        "train.class_weights": None}),
    "piper_joe": ("range60", ("a second, neural TTS engine: 400 on, 400 off and 1,200 unknown clips of the Piper voice 'joe' "
                              "(one US speaker; rate, prosody noise and vowel variants drawn per clip) added to the espeak "
                              "speech (WORK/piper_joe: python bench/piper_voice.py WORK/piper_joe --keyword-clips 400 --unknown-clips 1200)"), {
        "code": ["import os", "from harken.spec.model_spec import DatasetSource",
                 "spec.datasets.append(DatasetSource(directory=os.path.join(os.path.dirname(os.environ['HARKEN_HOME']), "
                 "'piper_joe'), validation_percentage=0.0, testing_percentage=0.0))"]}),
    "piper_val": ("range60", ("the epoch picked on a neural voice instead of the Klatt voices: validation = 200 on, 200 off, 400 "
                              "unknown clips of Piper 'joe' (WORK/piper_val: python bench/piper_voice.py WORK/piper_val "
                              "--keyword-clips 200 --unknown-clips 400 --seed 1), whose false accepts rank real ones"), {
        "code": ["import os", "from harken.spec.model_spec import DatasetSource",
                 "spec.datasets[1] = DatasetSource(directory=os.path.join(os.path.dirname(os.environ['HARKEN_HOME']), "
                 "'piper_val'), validation_percentage=100.0, testing_percentage=0.0)"]}),
    "last_epoch": ("range60", ("the last epoch kept (checkpoint_monitor None) instead of the one picked on the held-out Klatt "
                               "voices, whose accuracy does not track dev: the control for piper_val, which mostly picked late epochs"), {
        "train.checkpoint_monitor": None}),
    "piper_unknown": ("range60", ("only the 1,200 unknown clips of piper_joe's neural voice added (no keyword of it): natural "
                                  "near-misses, whose false accepts rank the real ones (WORK/piper_unknown/_unknown_: a hard-linked "
                                  "copy of WORK/piper_joe/_unknown_, with empty on/ and off/ folders)"), {
        "code": ["import os", "from harken.spec.model_spec import DatasetSource",
                 "spec.datasets.append(DatasetSource(directory=os.path.join(os.path.dirname(os.environ['HARKEN_HOME']), "
                 "'piper_unknown'), validation_percentage=0.0, testing_percentage=0.0))"]}),
    "specaug_strong": ("range60", ("stronger SpecAugment: masks on 80 % of samples (was 50 %), frequency masks up to 20 "
                                   "channels (was 8), time masks up to 10 frames as before: fewer fine spectral cues to learn espeak by"), {
        "aug.p_time_mask": 0.8, "aug.p_freq_mask": 0.8, "aug.max_freq_mask_channels": 20}),
    "pcan": ("range60", ("per-channel amplitude normalisation on (the TFLM front end's PCAN, strength 0.95, offset 80, as "
                         "micro_speech): each channel divided by its own running noise estimate, so a weak ending in "
                         "channels the vowel left quiet (the /f/ of 'off') counts as much as the vowel"), {
        "code": _frontend(pcan_enable=True)}),
    "channels40": ("range60", ("40 filterbank channels (was 104, micro_speech's count): coarser spectra that no longer resolve "
                               "espeak's pitch harmonics, so less of a voice to learn"), {
        "code": _frontend(filterbank_n_channels=40)}),
    "dscnn": ("range60", ("a depthwise-separable 2-D CNN (DS-CNN, 32 filters, 4 blocks, first kernel 10x4 with strides 2x4; "
                          "7.8k parameters, 8.3 M MACs) instead of the TENet: its kernels slide along frequency too, so a "
                          "speaker's shifted formants meet the same filters"), {
        "code": ["spec.model.architecture = 'dscnn'", "spec.model.options = {'filters': 32, 'num_blocks': 4, "
                 "'first_kernel_size': (10, 4), 'first_strides': (2, 4)}"]}),
    "nr_off": ("range60", ("the front end's noise reduction off (it subtracts a running per-channel estimate, up to 60 % of "
                           "the energy, from the vowel's second half and what follows it)"), {
        "code": _frontend(noise_reduction_enable=False)}),
    "range80": ("negatives", "an 80 dB dynamic int8 range (was 40): how far widening the range helps", {
        "code": _dynamic_range(80.0)}),
    "wide_pitch": ("unweighted", "pitch/formant shift +-4 semitones with p 0.8 (was +-2, p 0.5): more pseudo-speakers", {
        "aug.p_pitch": 0.8, "aug.min_pitch_semitones": -4.0, "aug.max_pitch_semitones": 4.0,
    }),
}


def row_settings(name: str) -> tuple[dict, list[str]]:
    """The accumulated changes of ``name`` (parents first) and its lineage."""
    lineage = []
    while name is not None:
        if name not in ROWS:
            raise SystemExit(f"unknown row {name!r}; rows: {', '.join(ROWS)}")
        lineage.append(name)
        name = ROWS[name][0]
    changes: dict = {}
    for row in reversed(lineage):
        code = changes.get("code", []) + ROWS[row][2].get("code", [])  # a row's code runs after its parents'
        changes.update(ROWS[row][2])
        if code:
            changes["code"] = code
    return changes, list(reversed(lineage))


def spec_text(name: str, seed: int) -> str:
    """A spec file: the built-in on_off_offline, then every setting of the row set explicitly.

    The ``dev_mix`` rows are the built-in on_off_dev_mix with the seed set and only their own changes.
    """
    if name.startswith("dev_mix"):
        changes = ROWS[name][2]
        aug = {k[4:]: v for k, v in changes.items() if k.startswith("aug.")}
        return "\n".join([f'"""Ablation row {name} (seed {seed}). Written by bench/ablation.py."""',
                          "from harken.spec.loader import load_spec", f"spec = load_spec({str(DEV_MIX)!r})",
                          'spec.name = ""', f"spec.seed = {seed}", *augmentation_code(aug),
                          *changes.get("code", [])]) + "\n"  # fmt: skip
    changes, lineage = row_settings(name)
    aug = {k[4:]: v for k, v in changes.items() if k.startswith("aug.")}
    train = {k[6:]: v for k, v in changes.items() if k.startswith("train.")}
    lines = [
        f'"""Ablation row {name} (seed {seed}): {" -> ".join(lineage)}. Written by bench/ablation.py."""',
        "from harken.augment import Compose",
        "from harken.spec.model_spec import DatasetSource",
        "from harken.spec.loader import load_spec",
        f"spec = load_spec({str(BUILTIN)!r})",
        'spec.name = ""  # the file name',
        f"spec.seed = {seed}",
        "# the rows before range60 were measured with the v3 front end's 40 dB range (range60 and range80 set theirs)",
        *_dynamic_range(40.0),
        "spec.augmentation = Compose()  # harken.augment's default recipe, then the row's settings",
        *augmentation_code(aug),
        f"spec.datasets = [DatasetSource.from_dict(d) for d in {changes['datasets']!r}]",
    ]
    lines += [f"spec.training.{k} = {v!r}" for k, v in train.items()]
    if "model.options" in changes:
        lines.append(f"spec.model.options = {changes['model.options']!r}")
    if "epochs" not in train:
        lines.append("spec.training.epochs = 20")
    lines += changes.get("code", [])
    return "\n".join(lines) + "\n"


def dev_half_samples(root: str, part: str) -> list:
    """The dev clips of one half of the speakers, split as ``on_off_dev_mix`` splits them.

    The dev speakers (Speech Commands test speakers) all hash into [10, 20) %: validation 10 and
    testing 5 put those in [10, 15) into ``testing`` and those in [15, 20) into ``training``.
    """
    from harken.datasets import DirectorySettings, load_directory_dataset

    dataset = load_directory_dataset(root, DirectorySettings(validation_percentage=10.0, testing_percentage=5.0))
    return [s for s in dataset.split(part) if s.path is not None]


def scored_clips(model, root: str, *, part: str | None = None):
    """A loaded model's scores of every clip of a folder, or of one half of the dev speakers."""
    from harken.evaluation.scoring import score_clips, score_dataset

    if part is None:
        return score_dataset(model, root)
    samples = dev_half_samples(root, part)
    return score_clips(model, [s.path for s in samples], [s.label for s in samples], speakers=[s.speaker for s in samples])


def score(model_path: Path, root: str, *, part: str | None = None) -> dict:
    """Top-class figures (and those at the embedded thresholds) of a model on a folder (or half)."""
    from harken.evaluation.scoring import evaluate_scores
    from harken.runtime.clip_model import load_clip_model

    model = load_clip_model(model_path)
    scored = scored_clips(model, root, part=part)
    ev = evaluate_scores(scored, thresholds=model.detection_thresholds())
    return {"num_clips": ev.num_clips, "balanced": ev.balanced_accuracy, "on": ev.keyword_recall.get("on"),
            "off": ev.keyword_recall.get("off"), "reject": ev.keyword_recall.get("reject"),
            "false_accepts": ev.false_accept_rate, "roc_auc": ev.roc_auc, "intervals": ev.intervals,
            "thresholded": {k: ev.detection[k] for k in ("balanced_accuracy", "keyword_recall", "false_accept_rate")}
            if ev.detection else None}  # fmt: skip


def held_out_voices(home: Path) -> str:
    """A synthetic test set of the held-out (Klatt) voices, seed 7 (not the validation set's seed)."""
    os.environ["HARKEN_HOME"] = str(home)
    from harken.datasets.synth import SynthSettings, synthesize_dataset

    s = SynthSettings(keywords=("on", "off"), num_clips_per_keyword=300, num_unknown=600, seed=7,
                      include_voices=KLATT_VOICES, background_noise=False)  # fmt: skip
    return str(synthesize_dataset(s, workers=2).path)


def run_name(name: str, seed: int) -> str:
    """The spec (and so model) name of a row and seed."""
    return f"abl_{name}_s{seed}"


def model_file(work: Path, name: str, seed: int) -> Path:
    """Where ``harken train`` writes the int8 model of a row and seed (``HARKEN_HOME`` = WORK/home)."""
    stem = run_name(name, seed)
    return work / "home" / "models" / stem / f"{stem}.tflite"


def dev_part(name: str) -> str | None:
    """The dev clips a row is scored on: the unseen half for dev_mix rows (they train on the other), else all."""
    return "testing" if name.startswith("dev_mix") else None


def read_results(path: Path) -> list[dict]:
    """Every result line of a results file, in order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(name: str, seed: int, args) -> dict:
    work = Path(args.work)
    specs = work / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    stem = run_name(name, seed)
    spec_file = specs / f"{stem}.py"
    spec_file.write_text(spec_text(name, seed), encoding="utf-8")
    env = {**os.environ, "HARKEN_HOME": str(work / "home"), "HARKEN_REAL_CLIPS": args.dev}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harken", "train", str(spec_file), "--quiet", "--json"], env=env,
                          capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{stem}: harken train failed:\n{proc.stderr[-3000:]}")
    model = model_file(work, name, seed)
    result = {"row": name, "seed": seed, "description": ROWS[name][1], "train_s": round(seconds, 1)}
    try:
        result["train"] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        result["train"] = proc.stdout[-500:]
    result["dev"] = score(model, args.dev, part=dev_part(name))
    if dev_part(name) is None:
        result["held_out_voices"] = score(model, held_out_voices(work / "home"))
    return result


def balanced_range(results: list[dict]) -> list[float] | None:
    """What a row's balanced accuracy could be: the spread of its seeds, or one seed's 95 % range over speakers.

    Several seeds: lowest and highest seed (the training's own spread, as large as the speakers').
    One seed: the cluster-bootstrap range ``harken evaluate`` gives (older results lack it: None).
    """
    values = [r["dev"]["balanced"] for r in results]
    if len(values) > 1:
        return [min(values), max(values)]
    interval = (results[0]["dev"].get("intervals") or {}).get("balanced_accuracy")
    return list(interval) if interval else None


def table(path: Path) -> dict:
    rows: dict[str, list[dict]] = {}
    for r in read_results(path):
        rows.setdefault(r["row"], []).append(r)
    out = []
    header = (f"{'row':<16} {'seeds':<7} {'balanced':>8} {'range':>11} {'on':>6} {'off':>6} {'reject':>6} {'FA':>6} "
              f"{'heldout':>7} {'train':>6}")
    print(header, file=sys.stderr)

    def mean(rs, *keys):
        vals = []
        for r in rs:
            v = r
            for k in keys:
                v = v.get(k) if isinstance(v, dict) else None
            if v is not None:
                vals.append(v)
        return sum(vals) / len(vals) if vals else None

    for name, rs in rows.items():
        entry = {"row": name, "seeds": [r["seed"] for r in rs], "description": rs[0]["description"],
                 **{k: mean(rs, "dev", k) for k in ("balanced", "on", "off", "reject", "false_accepts")},
                 "held_out_balanced": mean(rs, "held_out_voices", "balanced"), "train_s": mean(rs, "train_s"),
                 "balanced_range": balanced_range(rs)}  # fmt: skip
        out.append(entry)
        low_high = entry["balanced_range"]
        shown = f"{100 * low_high[0]:4.1f}-{100 * low_high[1]:4.1f}" if low_high else "n/a"

        def pct(v):
            return "   n/a" if v is None else f"{100 * v:6.1f}"

        print(f"{name:<16} {','.join(map(str, entry['seeds'])):<7} {pct(entry['balanced']):>8} {shown:>11} {pct(entry['on'])} "
              f"{pct(entry['off'])} {pct(entry['reject'])} {pct(entry['false_accepts'])} {pct(entry['held_out_balanced']):>7} "
              f"{entry['train_s']:6.0f}", file=sys.stderr)  # fmt: skip
    return {"bench": "ablation", "unit": "balanced accuracy (dev, top class)", "rows": out,
            "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()}}  # fmt: skip


def best_balanced_at(scores, true_labels, classes, max_false_accepts: float = 0.05) -> float | None:
    """Best balanced accuracy over every combination of uint8 keyword thresholds whose false accepts stay <= the limit.

    A clip counts for keyword k when k is its top class and its score reaches k's threshold (0..256;
    256 = never), as firmware decides; recall and false accepts of each keyword then depend on its
    own threshold only, so every combination is a sum of per-keyword tables.
    """
    import numpy as np

    from harken.evaluation import metrics

    scores = np.asarray(scores, dtype=np.int64)
    top = np.argmax(scores, axis=1)
    top_score = scores[np.arange(len(top)), top]
    true = np.array(true_labels)
    non_keyword = ~np.array([metrics.is_keyword(t) for t in true_labels])
    thresholds = np.arange(257)[:, None]
    recall_sum, false_accepts = np.zeros(()), np.zeros(())
    keywords = [k for k, name in enumerate(classes) if metrics.is_keyword(name) and (true == name).any()]
    for k in keywords:
        hit = (top == k)[None, :] & (top_score[None, :] >= thresholds)  # [threshold, clip]
        recall = hit[:, true == classes[k]].mean(axis=1)
        accepted = hit[:, non_keyword].sum(axis=1) / max(int(non_keyword.sum()), 1)
        recall_sum = np.add.outer(recall_sum, recall)
        false_accepts = np.add.outer(false_accepts, accepted)
    balanced = (recall_sum + 1.0 - false_accepts) / (len(keywords) + 1)
    allowed = false_accepts <= max_false_accepts + 1e-12
    return float(balanced[allowed].max()) if allowed.any() else None


def t_range(differences: list[float]) -> tuple[float, float, float]:
    """Mean of paired differences and its 95 % t-range over them (nan range for fewer than two)."""
    import numpy as np
    from scipy import stats

    d = np.asarray(differences, dtype=np.float64)
    if len(d) < 2:
        return float(d.mean()), float("nan"), float("nan")
    half = float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))
    return float(d.mean()), float(d.mean()) - half, float(d.mean()) + half


def compare(path: Path, row_a: str, row_b: str, work: Path, dev: str) -> dict:
    """Row B against row A, paired by seed: per-figure mean difference (points) and its 95 % t-range."""
    from harken.runtime.clip_model import load_clip_model

    results = {(r["row"], r["seed"]): r for r in read_results(path)}  # a rerun of a row and seed replaces the earlier line
    seeds = sorted(s for (row, s) in results if row == row_b and (row_a, s) in results)
    if not seeds:
        raise SystemExit(f"{path}: no seed has results for both {row_a!r} and {row_b!r}")
    figures = {k: ([100 * results[(row_a, s)]["dev"][k] for s in seeds], [100 * results[(row_b, s)]["dev"][k] for s in seeds])
               for k in ("balanced", "on", "off", "reject", "false_accepts")}  # fmt: skip
    models = {(row, s): model_file(work, row, s) for row in (row_a, row_b) for s in seeds}
    if all(m.is_file() for m in models.values()):
        best = {}
        for (row, seed), model in models.items():  # on the clips each row was scored on
            scored = scored_clips(load_clip_model(model), dev, part=dev_part(row))
            best[(row, seed)] = 100 * best_balanced_at(scored.scores, scored.true_labels, scored.classes)
        figures["best_at_5_percent_false_accepts"] = ([best[(row_a, s)] for s in seeds], [best[(row_b, s)] for s in seeds])
    else:
        print(f"(no best at 5 % false accepts: not every model is in {work / 'home' / 'models'})", file=sys.stderr)
    out = {"bench": "ablation-compare", "a": row_a, "b": row_b, "seeds": seeds, "figures": {}}
    print(f"{row_b} - {row_a}, seeds {','.join(map(str, seeds))} (points; 95 % t-range over seeds)", file=sys.stderr)
    for name, (a, b) in figures.items():
        mean, low, high = t_range([y - x for x, y in zip(a, b)])
        mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
        out["figures"][name] = {"a": a, "b": b, "mean_a": mean_a, "mean_b": mean_b, "difference": [mean, low, high]}
        print(f"  {name:<32} {mean_a:5.1f} -> {mean_b:5.1f}   {mean:+5.1f} [{low:+5.1f}, {high:+5.1f}]", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="", help="comma-separated row names (default: none; --table only)")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--work", default="/tmp/harken-ablation", help="spec files, HARKEN_HOME and models go here")
    parser.add_argument("--dev", default=os.environ.get("HARKEN_DEV", str(REPO.parent / "shared" / "data" / "speech_commands_dev")))
    parser.add_argument("--out", default=None, help="results (JSON lines); default WORK/results.jsonl")
    parser.add_argument("--table", action="store_true", help="print the table of every result in --out")
    parser.add_argument("--compare", metavar="A,B", help="pair two rows by seed: B - A per figure, with 95 %% t-ranges")
    args = parser.parse_args()
    out = Path(args.out or Path(args.work) / "results.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in filter(None, args.rows.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            result = run(name, seed, args)
            with open(out, "a", encoding="utf-8") as f:
                f.write(json.dumps(result) + "\n")
            d = result["dev"]
            print(f"{name} seed {seed}: balanced {d['balanced']:.3f} on {d['on']:.3f} off {d['off']:.3f} "
                  f"reject {d['reject']:.3f} FA {d['false_accepts']:.3f} ({result['train_s']:.0f} s)", file=sys.stderr)
    if args.compare:
        row_a, _, row_b = args.compare.partition(",")
        if not row_a or not row_b or "," in row_b:
            raise SystemExit(f"--compare {args.compare!r}: give two rows, A,B")
        print(json.dumps(compare(out, row_a, row_b, Path(args.work), args.dev)))
    elif args.table or not args.rows:
        print(json.dumps(table(out)))


if __name__ == "__main__":
    main()
