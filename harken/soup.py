"""Model soups: several fine-tunes of one start, their weights averaged into one model.

Models fine-tuned from the same weights stay in one basin of the loss, so the mean of their
weights is a model of its own, for large pretrained networks about as good as the ensemble of
them (Wortsman et al., "Model soups", 2022), at one model's size and speed. ``training.soup_size``
asks for one. For the 78k-parameter on/off TENet it gained nothing that held over a second set of
seeds (docs/real_voice.md, "Averaging weights").
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from harken.errors import SettingsError
from harken.spec.model_spec import ModelSpec
from harken.train.initial_weights import load_initial_weights
from harken.train.job import BEST_WEIGHTS, STATE_DIR, FitResult, announce, build_model_for_spec, fit, save_histories

BRANCHES_DIR = "soup"


def branch_seed(seed: int, branch: int) -> int:
    """The seed of fine-tune ``branch``: the spec's own for branch 0 (a soup of one is plain training)."""
    if branch == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(branch)]).generate_state(1)[0])


def average_weights(weight_lists: Sequence[Sequence[np.ndarray]]) -> list[np.ndarray]:
    """The element-wise mean of several models' weights (``model.get_weights()`` lists of one model).

    Floating-point arrays are averaged (batch-norm statistics too); any others (counters, seed
    states) are taken from the first model.
    """
    if not weight_lists:
        raise ValueError("average_weights needs at least one model's weights")
    first = weight_lists[0]
    if any(len(w) != len(first) or any(a.shape != b.shape for a, b in zip(w, first)) for w in weight_lists):
        raise ValueError("average_weights: the models' weights differ in number or shape (not the same model)")
    averaged = []
    for arrays in zip(*weight_lists):
        if np.issubdtype(arrays[0].dtype, np.floating):
            averaged.append(np.mean(np.stack(arrays), axis=0, dtype=np.float64).astype(arrays[0].dtype))
        else:
            averaged.append(arrays[0].copy())
    return averaged


def fit_soup(spec: ModelSpec, data, model, start: Path, *, resume: bool = False, quiet: bool = True,
             teachers: list | None = None) -> FitResult:
    """Fine-tune ``start`` ``spec.training.soup_size`` times and put the mean of their weights into ``model``.

    Branch ``i`` trains in ``WORK/soup/<i+1>/`` with seed :func:`branch_seed` (draw order,
    augmentation and dropout), so ``resume`` continues an interrupted soup from its last finished
    epoch and finished branches are not trained again. Returns the unfinished branch's result when
    one is interrupted (``model`` is then left as it was).
    """
    if not hasattr(data.train, "reseed"):
        raise SettingsError(f"{spec.name}: training soup_size needs batches that can be reseeded "
                            "(harken.pipeline.batches.TrainingBatches)")
    folder = spec.work_dir()
    if not resume:  # a plain run's state would be stale next to a soup
        shutil.rmtree(folder / STATE_DIR, ignore_errors=True)
        (folder / BEST_WEIGHTS).unlink(missing_ok=True)
    branches: list[FitResult] = []
    weights = []
    for branch in range(spec.training.soup_size):
        seed = branch_seed(spec.seed, branch)
        announce(f"{spec.name}: fine-tune {branch + 1} of {spec.training.soup_size} (seed {seed})", quiet=quiet)
        member = build_model_for_spec(spec, seed=seed)
        load_initial_weights(member, start, spec)
        data.train.reseed(seed)
        result = fit(spec, data, model=member, resume=resume, quiet=quiet, teachers=teachers,
                     work_dir=folder / BRANCHES_DIR / str(branch + 1))
        if result.interrupted:
            return result
        branches.append(result)
        weights.append(member.get_weights())
    data.train.reseed(spec.seed)
    model.set_weights(average_weights(weights))
    histories = {f"fine-tune {i + 1}": b.history for i, b in enumerate(branches)}
    save_histories(folder, histories, title=f"{spec.name}: soup of {len(branches)}",
                   monitor=spec.training.checkpoint_monitor or "last epoch")
    return FitResult(work_dir=folder, history={}, best_epoch=None, best_value=None,
                     epochs_done=sum(b.epochs_done for b in branches), branches=branches)
