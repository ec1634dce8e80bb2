"""One training run's place in its work directory: the last finished run set aside, and what an interruption left.

``WORK/run.json`` marks the folder as one run's (``started``, ``finished`` once its archive is
written). A fresh run (no ``--resume``) first moves the outputs of the last finished run
(``NAME.keras``, ``NAME.tflite``, results, summaries, history, state) into ``WORK/previous/``, so
that the work directory never mixes that run's model with this run's partial files; once this run
has written its archive, ``previous/`` goes. An interrupted run is not a finished one: a fresh run
replaces its files and keeps ``previous/``. :func:`interruption_report` says, from what is on disk,
what an interrupted run saved and what resuming it will do.
It does not train (``harken.training.job``) or save epochs (``harken.training.resume``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from pathlib import Path

from harken._util.atomic import write_json_atomic
from harken._util.interrupts import interrupts_deferred
from harken.export.archive import remove_stale_temp_files
from harken.spec.model_spec import ModelSpec
from harken.training.leftovers import remove_dead_temp_files
from harken.training.resume import BEST_WEIGHTS, STATE_DIR, saved_state

PREVIOUS_DIR = "previous"
NOT_STARTED = "getting ready"  # the step stopped when Ctrl-C came before training began (TrainResult.interrupted)
MEMBERS_DIR = "members"  # harken.training.ensemble's folder of members (not imported: ensemble imports fit)
RUN_FILE = "run.json"
#: What a run writes in its work directory (the archive too, for a built-in spec, whose archive lives there).
OUTPUTS = ("{name}.keras", "{name}.tflite", "{name}.float32.tflite", "summary.txt", "summary_tflite.txt",
           "history.json", "history.png", "validation_results.json", "representative.npy", BEST_WEIGHTS, STATE_DIR,
           MEMBERS_DIR, RUN_FILE)


def is_finished_run(spec: ModelSpec, work_dir: Path) -> bool:
    """Whether ``work_dir`` holds a finished run: its ``run.json`` says so (before run.json: a ``NAME.keras``)."""
    try:
        return bool(json.loads((work_dir / RUN_FILE).read_text(encoding="utf-8")).get("finished"))
    except FileNotFoundError:
        return (work_dir / f"{spec.name}.keras").is_file()
    except (OSError, ValueError, AttributeError):
        return False


def run_outputs(spec: ModelSpec, work_dir: Path) -> list[Path]:
    """The files and folders of a run present in ``work_dir`` (only those harken writes there)."""
    names = [n.format(name=spec.name) for n in OUTPUTS] + [spec.archive_path().name]
    return [work_dir / n for n in dict.fromkeys(names) if (work_dir / n).exists()]


def start_run(spec: ModelSpec, work_dir: Path, *, resume: bool) -> Path | None:
    """Before training: a fresh run sets a finished run aside, drops an unfinished one, marks the folder its own.

    Call it holding the work directory's lock (:func:`harken.training.leftovers.run_lock`): either
    run also removes what a killed run left (temporary files, the archive's among them) and ends a
    killed run's setting aside. Returns ``previous/`` when this call filled it. With ``resume``,
    nothing else moves (the run goes on).
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(spec.archive_path())  # a killed run's half-written archive
    remove_dead_temp_files(work_dir, spec.name)  # ... and its other half-written files
    for staging in sorted(work_dir.glob(f".{PREVIOUS_DIR}.*")):  # a killed run was setting the last one aside
        if staging.is_dir():
            _set_aside_into(spec, work_dir, staging)
    if resume:
        return None
    previous = None
    with interrupts_deferred():  # all of it or, before it starts, none
        if is_finished_run(spec, work_dir):
            previous = set_aside_previous(spec, work_dir)
        for path in run_outputs(spec, work_dir):  # an interrupted run's: this run's must not sit beside them
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        write_json_atomic(work_dir / RUN_FILE, {"spec": spec.name, "started": _now(), "finished": None}, indent=1)
    return previous


def finish_run(work_dir: Path) -> None:
    """After the archive: mark the run finished and drop ``previous/`` (this run's outputs replace it)."""
    try:
        run = json.loads((work_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run = {}
    write_json_atomic(work_dir / RUN_FILE, {**run, "finished": _now()}, indent=1)
    shutil.rmtree(work_dir / PREVIOUS_DIR, ignore_errors=True)


def set_aside_previous(spec: ModelSpec, work_dir: Path) -> Path:
    """Move a run's outputs from ``work_dir`` into ``work_dir/previous`` (replacing an older one)."""
    staging = work_dir / f".{PREVIOUS_DIR}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return _set_aside_into(spec, work_dir, staging)


def _set_aside_into(spec: ModelSpec, work_dir: Path, staging: Path) -> Path:
    """Move the run's outputs into ``staging``, then make it ``previous/`` (also what a killed set-aside began)."""
    for path in run_outputs(spec, work_dir):
        os.replace(path, staging / path.name)
    previous = work_dir / PREVIOUS_DIR
    shutil.rmtree(previous, ignore_errors=True)
    os.replace(staging, previous)
    return previous


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def interruption_report(spec: ModelSpec, work_dir: Path, stage: str, command: str) -> str:
    """What an interrupted run saved, read from disk, and what ``command --resume`` will do (one or two lines).

    ``work_dir`` is the folder that was being trained (an ensemble member's own); ``stage`` is
    ``"training"`` or the step after it that was stopped (``TrainResult.interrupted``).
    """
    if stage == NOT_STARTED:
        return f"interrupted before training started; nothing in {work_dir} was changed"
    root = work_dir.parent.parent if work_dir.parent.name == MEMBERS_DIR else work_dir
    member = f" (ensemble member {work_dir.name} of {spec.training.ensemble_size})" if root != work_dir else ""
    state = saved_state(work_dir) or {}
    done, total = int(state.get("epochs_done", 0)), spec.training.epochs
    if stage != "training":
        lines = [f"interrupted during {stage}: training had finished and is saved in {work_dir}; "
                 f"'{command} --resume' goes on from there without training again"]
    elif done == 0 and root == work_dir and (members := _trained_members(root)):
        lines = [f"interrupted: ensemble member(s) 1-{members} of {spec.training.ensemble_size} are trained and "
                 f"saved in {root / MEMBERS_DIR}; '{command} --resume' continues with member {members + 1}"]
    elif done == 0:
        lines = [f"interrupted before the first epoch was saved{member}: nothing to resume; "
                 f"'{command}' starts again from epoch 1"]
    else:
        best = ""
        if state.get("best_epoch") is not None and (work_dir / BEST_WEIGHTS).is_file():
            value = state.get("best_value")
            figure = f"{spec.training.checkpoint_monitor} {value:.4f}, " if value is not None else ""
            best = f" (best: {figure}epoch {state['best_epoch'] + 1}, in {work_dir / BEST_WEIGHTS})"
        then = ("finishes training" if state.get("stopped") or done >= total
                else f"continues with epoch {done + 1}")
        lines = [f"interrupted{member}: epoch(s) 1-{done} of {total} are saved in {work_dir}{best}; "
                 f"'{command} --resume' {then}"]
    lines.append(_earlier_outputs(spec, root))
    return "\n".join(line for line in lines if line)


def _trained_members(root: Path) -> int:
    """How many ensemble members in a row have their ``member.keras`` (``harken.training.ensemble``)."""
    count = 0
    while (root / MEMBERS_DIR / str(count + 1) / "member.keras").is_file():
        count += 1
    return count


def _earlier_outputs(spec: ModelSpec, root: Path) -> str:
    """A line naming the last finished run's files, which the interrupted run did not replace."""
    archive = spec.archive_path()
    previous = root / PREVIOUS_DIR
    parts = []
    if previous.is_dir():
        parts.append(f"the last finished run's model and results are in {previous}")
    if archive.is_file():
        parts.append(f"{archive} is that run's archive" if parts else f"{archive} is from an earlier run")
    return ("; ".join(parts) + " (not this run's)") if parts else ""
