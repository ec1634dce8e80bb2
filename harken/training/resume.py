"""Resumable training state: weights, optimizer variables and dropout seeds of the last finished epoch.

In: a work directory and a compiled Keras model. Out: ``state/epoch-NNNNN.*`` files and
``state/state.json`` (history, best value, callback counters), written after each epoch so that a
crash or kill -9 loses at most the current epoch; :func:`load_state` puts them back. New files
are written before the JSON that points at them, so a state is complete or absent.
It does not decide when to save (``harken.training.callbacks.TrainingState`` does).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from harken._util.atomic import atomic_path, write_json_atomic
from harken.errors import HarkenError

BEST_WEIGHTS = "best.weights.h5"
STATE_DIR = "state"
STATE_FILE = "state.json"


def save_state(work_dir: Path, model, state: dict) -> None:
    """Weights + optimizer variables of epoch N in new files, then ``state.json`` pointing at them."""
    folder = work_dir / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    tag = f"epoch-{state['epochs_done']:05d}"
    with atomic_path(folder / f"{tag}.weights.h5", suffix=".weights.h5") as tmp:
        model.save_weights(tmp)
    with atomic_path(folder / f"{tag}.optimizer.npz", suffix=".npz") as tmp:
        np.savez(tmp, *[np.asarray(v) for v in model.optimizer.variables])
    with atomic_path(folder / f"{tag}.seeds.npz", suffix=".npz") as tmp:
        np.savez(tmp, *[np.asarray(v) for v in seed_states(model)])
    write_json_atomic(folder / STATE_FILE, {**state, "tag": tag}, indent=1)
    for old in folder.glob("epoch-*"):
        if not old.name.startswith(tag):
            old.unlink(missing_ok=True)


def saved_state(work_dir: Path) -> dict | None:
    """The saved state's JSON (``epochs_done``, ``best_value``, ...) without loading weights; None when none."""
    try:
        return json.loads((work_dir / STATE_DIR / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def load_state(work_dir: Path, model) -> dict | None:
    """Restore the last saved epoch into ``model`` (compiled); None when there is none."""
    folder = work_dir / STATE_DIR
    state = saved_state(work_dir)
    if state is None:
        return None
    model.load_weights(folder / f"{state['tag']}.weights.h5")
    with np.load(folder / f"{state['tag']}.optimizer.npz") as saved:
        values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    model.optimizer.build(model.trainable_variables)
    if len(values) != len(model.optimizer.variables):
        raise HarkenError(f"{folder}: the saved optimizer state does not fit this model (the spec changed?); "
                          "train again without --resume")
    for variable, value in zip(model.optimizer.variables, values):
        variable.assign(value)
    seeds_path = folder / f"{state['tag']}.seeds.npz"
    if seeds_path.is_file():  # dropout masks continue where they were
        with np.load(seeds_path) as saved:
            for variable, key in zip(seed_states(model), sorted(saved.files, key=lambda k: int(k[4:]))):
                variable.assign(saved[key])
    return state


def seed_states(model) -> list:
    """The state variables of the model's random seed generators (dropout), in layer order."""
    import keras

    def walk(m):
        for layer in m.layers:
            yield from walk(layer) if isinstance(layer, keras.Model) else (layer,)

    return [g.state for layer in walk(model) for g in getattr(layer, "_seed_generators", [])]
