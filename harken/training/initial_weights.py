"""The trained model a spec builds on: its fine-tuning start (``training.initial_weights``).

It is a ``.keras`` / ``.weights.h5`` path or the name of another spec, whose trained model is used;
a base trained with other settings than its spec has now is named in a warning. A base spec with no
trained model yet is trained by the ``train_base`` function the caller passes
(:func:`harken.training.job.train` passes itself), so this module never imports the training job.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harken.errors import HarkenError, SettingsError
from harken.spec.model_spec import ModelSpec

log = logging.getLogger(__name__)


def initial_weights_file(spec: ModelSpec, *, train_base: Callable[[ModelSpec], Any] | None = None) -> Path | Any | None:
    """The file ``spec.training.initial_weights`` names (None: train from scratch).

    A spec name gives that spec's trained ``NAME.keras`` (``NAME-test`` for a dry run). When it has
    none yet, ``train_base(base_spec)`` trains it first and its result (a ``TrainResult``) is
    returned if that training was interrupted; without ``train_base`` that is an error.
    """
    name = spec.training.initial_weights
    if name is None:
        return None
    path = Path(name).expanduser()
    if path.suffix.lower() in (".keras", ".h5"):
        if not path.is_file():
            raise SettingsError(f"{spec.name}: training initial_weights={name!r}: no such file")
        return path
    from harken.spec.loader import find_spec

    base = find_spec(f"{name}-test" if spec.dry_run and not name.endswith("-test") else name)
    if base.name == spec.name:
        raise SettingsError(f"{spec.name}: training initial_weights names the spec itself; name another spec")
    model_file = base.work_dir() / f"{base.name}.keras"
    if not model_file.is_file():
        if train_base is None:
            raise SettingsError(f"{spec.name}: training initial_weights={name!r} has no trained model "
                                f"({model_file}); run `harken train {base.name}` first")
        log.warning("%s starts from the weights of %s: training %s first", spec.name, base.name, base.name)
        result = train_base(base)
        if result.fit.interrupted:
            return result
    elif (changed := changed_since_trained(base)) is not None:
        log.warning("%s starts from the weights of %s, whose model was trained with other settings than its spec "
                    "has now (%s); run `harken train %s` first to use the current recipe", spec.name, base.name,
                    changed, base.name)
    return model_file


def changed_since_trained(spec: ModelSpec) -> str | None:
    """The first setting of ``spec`` that differs from the one its archived model was trained with.

    None when they agree or when there is no archive to compare with (nothing to say then).
    """
    from harken.export.archive import read_archived_spec, spec_json

    try:
        trained = read_archived_spec(spec.archive_path())
    except HarkenError:
        return None
    now = json.loads(spec_json(spec))
    for key in ("source_path", "description"):  # where the file lies and its wording change no weights
        now.pop(key, None)
        trained.pop(key, None)
    return _first_difference("", now, trained)


def _first_difference(path: str, now, trained) -> str | None:
    """``datasets.0.synth.num_unknown: 3000 (trained with 2000)``: where two plain values first differ.

    Settings only one side has are skipped: a field added to harken since kept its default then.
    """
    if isinstance(now, dict) and isinstance(trained, dict):
        children = [(key, now[key], trained[key]) for key in sorted(set(now) & set(trained))]
    elif isinstance(now, list) and isinstance(trained, list) and len(now) == len(trained):
        children = [(str(i), a, b) for i, (a, b) in enumerate(zip(now, trained))]
    else:
        return None if now == trained else f"{path}: {now!r} (trained with {trained!r})"
    for key, a, b in children:
        if (found := _first_difference(f"{path}.{key}" if path else key, a, b)) is not None:
            return found
    return None


def load_initial_weights(model, path: Path, spec: ModelSpec) -> None:
    """Load fine-tuning start weights into ``model``; a one-line error when they do not fit it."""
    try:
        model.load_weights(path)
    except (ValueError, KeyError, OSError) as exc:
        raise SettingsError(f"{path}: these weights do not fit the model of {spec.name} "
                            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None
