"""Ensembles: a spec trained with several seeds, merged into one model that averages their probabilities.

Member ``i`` is the spec trained with seed ``spec.seed + i`` (its own data order, augmentation
draws, initial weights and dropout), exactly as ``harken train`` trains the spec with that seed,
in ``WORK/members/<i+1>/``. The members become one Keras model that runs each on the same input
and averages their softmax outputs: one ``.tflite`` to deploy, ``training.ensemble_size`` times the
MACs, weights and training time of one member. A fine-tuning ensemble starts member ``i`` from
member ``i`` of an ensemble base (different starts make the members differ more), or every member
from a single base. See docs/results.md for what it measured on real speech.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from harken._util.atomic import atomic_path
from harken.errors import SettingsError
from harken.spec.model_spec import ModelSpec
from harken.training.build import build_model_for_spec, member_spec, merge_members
from harken.training.fit import FitResult, fit
from harken.training.history import HISTORY_FILE, save_histories
from harken.training.initial_weights import load_initial_weights

__all__ = ["MEMBERS_DIR", "MEMBER_FILE", "announce", "fit_ensemble", "member_files", "member_spec", "member_start",
           "merge_members"]

log = logging.getLogger(__name__)

MEMBERS_DIR = "members"
MEMBER_FILE = "member.keras"


def member_files(work_dir: Path) -> list[Path]:
    """The members' ``.keras`` files of a trained ensemble in ``work_dir`` (empty for a single model), in order."""
    files = []
    while (path := work_dir / MEMBERS_DIR / str(len(files) + 1) / MEMBER_FILE).is_file():
        files.append(path)
    return files


def member_start(start: Path | None, index: int, spec_name: str) -> Path | None:
    """Where member ``index`` starts: the same member of an ensemble base, else the base (or None) itself."""
    if start is None:
        return None
    members = member_files(start.parent)
    if not members:
        return start
    if index >= len(members):
        raise SettingsError(f"{spec_name}: training initial_weights {start} is an ensemble of {len(members)}; "
                            f"member {index + 1} needs its own start: set ensemble_size <= {len(members)}")
    return members[index]


def fit_ensemble(spec: ModelSpec, data, start: Path | None, *, resume: bool = False, quiet: bool = True,
                 workers: int | None = None) -> tuple[FitResult, object]:
    """Train ``spec.training.ensemble_size`` members and merge them; returns the fit and the merged model.

    ``data`` is the spec's own (member 1 trains on it); the other members make theirs from their
    seed. With ``resume``, members whose ``member.keras`` is written are not trained again and an
    interrupted one continues from its last finished epoch; the unfinished member's result is
    returned (model None) when one is interrupted.
    """
    from harken.models.keras_file import load_keras_model
    from harken.pipeline.data import build_training_data

    folder = spec.work_dir()
    if not resume:  # members of an earlier run must not pass for this run's
        shutil.rmtree(folder / MEMBERS_DIR, ignore_errors=True)
    size = spec.training.ensemble_size
    members, results = [], []
    for index in range(size):
        mspec = member_spec(spec, index)
        member_dir = folder / MEMBERS_DIR / str(index + 1)
        saved = member_dir / MEMBER_FILE
        if resume and saved.is_file():
            announce(f"{spec.name}: member {index + 1} of {size} (seed {mspec.seed}) already trained", quiet=quiet)
            members.append(load_keras_model(saved))
            continue
        announce(f"{spec.name}: member {index + 1} of {size} (seed {mspec.seed})", quiet=quiet)
        member_data = data if index == 0 else build_training_data(mspec, dry_run=spec.dry_run, workers=workers,
                                                                  quiet=quiet)
        model = build_model_for_spec(mspec)
        first = member_start(start, index, spec.name)
        if first is not None:
            load_initial_weights(model, first, mspec)
        result = fit(mspec, member_data, model=model, resume=resume, quiet=quiet, work_dir=member_dir)
        if result.interrupted:
            return result, None
        with atomic_path(saved, suffix=".keras") as tmp:
            model.save(tmp)
        members.append(model)
        results.append(result)
    _save_member_histories(spec, folder)
    fitted = FitResult(work_dir=folder, history={}, best_epoch=None, best_value=None,
                       epochs_done=sum(r.epochs_done for r in results), branches=results)
    return fitted, merge_members(members, name=spec.name.replace("-", "_"))


def _save_member_histories(spec: ModelSpec, folder: Path) -> None:
    """The members' histories together in ``folder``, read from each member's folder (members skipped on
    ``--resume`` keep theirs)."""
    size = spec.training.ensemble_size
    histories = {}
    for index in range(size):
        path = folder / MEMBERS_DIR / str(index + 1) / HISTORY_FILE
        if path.is_file():
            histories[f"member {index + 1}"] = json.loads(path.read_text(encoding="utf-8"))
    if histories:
        save_histories(folder, histories, title=f"{spec.name}: ensemble of {size}",
                       monitor=spec.training.checkpoint_monitor or "last epoch")


def announce(message: str, *, quiet: bool) -> None:
    """A line on stderr between progress bars (which ensemble member starts), unless ``quiet``; logged too."""
    log.info("%s", message)
    if not quiet:
        from rich.console import Console

        Console(stderr=True).print(message, soft_wrap=True)
