"""Spec files: load one, find one by name, list the known ones.

In: a path or a name. A name is looked up as ``NAME.py`` in the current directory, then in each
folder of ``$HARKEN_MODEL_PATH`` (``os.pathsep``-separated), then in the built-in ``harken/spec/builtin/``;
``NAME-test`` gives the same spec prepared for a dry run (:meth:`ModelSpec.for_dry_run`).
Out: a validated :class:`~harken.spec.model_spec.ModelSpec` with ``source_path`` set.

Loading runs the file as a module named ``harken_spec_<name>`` (so its ``if __name__ ==
"__main__":`` block does not run). A broken file gives a :class:`SpecError` of the form
``FILE:LINE: what is wrong; what to do``. Listing reads only module docstrings (nothing runs).
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import sys
import traceback
import types
from dataclasses import dataclass
from pathlib import Path

from harken.errors import HarkenError, SpecError
from harken.spec.model_spec import BUILTIN_SPECS_DIR, DRY_RUN_SUFFIX, ModelSpec

MODEL_PATH_ENV = "HARKEN_MODEL_PATH"
#: A spec file builds a ModelSpec, or assigns ``spec`` from another spec (``harken.spec.loader.find_spec``).
_MARKER = re.compile(r"ModelSpec\(|^spec\s*=.*find_spec\(|^base\s*=\s*find_spec\(", re.MULTILINE)
#: ``Owner.field=`` (or ``fe.field=``) as ``harken._util.settings``' checks begin a message: the setting to look for.
_SETTING_IN_MESSAGE = re.compile(r"\b(?:fe|[A-Z]\w*)\.([a-z_]\w*)=")


@dataclass(frozen=True, slots=True)
class SpecInfo:
    """A spec file found on the search path: ``name``, ``path``, one-line ``description``."""

    name: str
    path: Path
    description: str
    builtin: bool


def search_dirs() -> list[Path]:
    """Folders searched for ``NAME.py``, in order: cwd, ``$HARKEN_MODEL_PATH``, built-in specs."""
    dirs = [Path.cwd()]
    dirs += [Path(p).expanduser() for p in os.environ.get(MODEL_PATH_ENV, "").split(os.pathsep) if p.strip()]
    dirs.append(BUILTIN_SPECS_DIR)
    return dirs


def load_spec(path: str | os.PathLike) -> ModelSpec:
    """Run a spec file and return its validated ``spec``.

    Raises
    ------
    SpecError
        ``FILE:LINE: ...`` for a syntax error, an exception while running the file, a missing or
        wrongly typed ``spec``, or a setting that fails validation.

    Examples
    --------
    >>> spec = load_spec(BUILTIN_SPECS_DIR / "keyword_spotting_on_off.py")
    >>> spec.input_shape
    (49, 32, 1)
    """
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read the spec file ({exc.strerror}); check the path") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a spec file (binary data, not Python text); give a spec NAME or its .py file") from None
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        raise SpecError(f"{path}:{exc.lineno}: syntax error: {exc.msg}; fix the spec file") from None
    except ValueError as exc:  # source code with NUL bytes
        raise SpecError(f"{path}: not a spec file ({exc}); give a spec NAME or its .py file") from None
    module_name = "harken_spec_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    module = types.ModuleType(module_name)
    module.__file__ = str(path)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up by name
    try:
        exec(code, module.__dict__)
    except Exception as exc:  # noqa: BLE001 - any failure in user code becomes a SpecError
        line = _find_line(source, _token_of(exc)) if isinstance(exc, HarkenError) else None
        line = line or _line_in_traceback(exc, path)
        where = f"{path}:{line}" if line else str(path)
        kind = "" if isinstance(exc, HarkenError) else f"{type(exc).__name__}: "
        raise SpecError(f"{where}: {kind}{exc}") from None
    spec = module.__dict__.get("spec")
    if spec is None:
        raise SpecError(f"{path}: the file defines no 'spec'; end it with spec = harken.ModelSpec(...)")
    if not isinstance(spec, ModelSpec):
        raise SpecError(f"{path}:{_find_line(source, 'spec =') or 1}: 'spec' is a {type(spec).__name__}, "
                        "not a harken.ModelSpec")
    if not spec.name:
        spec.name = path.stem
    spec.source_path = str(path.resolve())
    check_spec(spec, source=source)
    return spec


def check_spec(spec: ModelSpec, *, source: str | None = None) -> None:
    """Validate ``spec``; a failure becomes ``SpecError`` naming its file and (best guess) line."""
    try:
        spec.validate()
    except HarkenError as exc:
        path = spec.source_path or "<spec>"
        if source is None and spec.source_path:
            try:
                source = Path(spec.source_path).read_text(encoding="utf-8")
            except OSError:
                source = None
        line = _find_line(source, _token_of(exc)) if source else None
        raise SpecError(f"{path}:{line}: {exc}" if line else f"{path}: {exc}") from None


def find_spec_file(name: str) -> Path:
    """The file of spec ``name`` (without ``-test``) on the search path, or SpecError."""
    for folder in search_dirs():
        candidate = folder / f"{name}.py"
        if candidate.is_file():
            return candidate
    known = [info.name for info in list_specs()]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise SpecError(
        f"no model spec named {name!r}: {hint}looked for {name}.py in "
        f"{', '.join(str(d) for d in search_dirs())}; run 'harken list' or add its folder to ${MODEL_PATH_ENV}"
    )


def find_spec(name_or_path: str | os.PathLike) -> ModelSpec:
    """Load a spec by name (``NAME`` or ``NAME-test``) or by path to its ``.py`` file.

    Examples
    --------
    >>> find_spec("keyword_spotting_on_off-test").name
    'keyword_spotting_on_off-test'
    """
    text = str(name_or_path)
    dry_run = False
    if text.endswith(".py") or os.sep in text or (os.altsep and os.altsep in text):
        path = Path(text)
    else:
        if text.endswith(DRY_RUN_SUFFIX):
            text, dry_run = text[: -len(DRY_RUN_SUFFIX)], True
        path = find_spec_file(text)
    spec = load_spec(path)
    return spec.for_dry_run() if dry_run else spec


def list_specs() -> list[SpecInfo]:
    """Every spec on the search path (the first of a name wins), sorted by name. Runs nothing."""
    found: dict[str, SpecInfo] = {}
    for folder in search_dirs():
        builtin = folder.resolve() == BUILTIN_SPECS_DIR.resolve()
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else ():
            if path.stem in found or path.name.startswith("_"):
                continue
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if not _MARKER.search(source):
                continue
            found[path.stem] = SpecInfo(path.stem, path, _first_doc_line(source), builtin)
    return sorted(found.values(), key=lambda info: info.name)


def _first_doc_line(source: str) -> str:
    try:
        doc = ast.get_docstring(ast.parse(source)) or ""
    except SyntaxError:
        return "(syntax error: run 'harken summarize NAME' to see where)"
    lines = [line.strip() for line in doc.splitlines() if line.strip()]
    return lines[0] if lines else ""


def _line_in_traceback(exc: BaseException, path: Path) -> int | None:
    target = os.path.abspath(str(path))
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(frame.filename) == target:
            line = frame.lineno
    return line


def _token_of(exc: BaseException) -> str | None:
    """Text to look for in the spec file: a SpecProblem's token, else the setting an error names."""
    token = getattr(exc, "token", None)
    if token:
        return token
    match = _SETTING_IN_MESSAGE.search(str(exc))
    return match.group(1) if match else None


def _find_line(source: str | None, token: str | None) -> int | None:
    """1-based number of the first line mentioning ``token`` (as a quoted string first)."""
    if not source or not token:
        return None
    lines = source.splitlines()
    for needle in (f'"{token}"', f"'{token}'", token):
        for number, line in enumerate(lines, 1):
            if needle in line.split("#", 1)[0]:
                return number
    return None
