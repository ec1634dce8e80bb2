"""The public API: every name in ``harken.__all__`` resolves, and ``import harken`` stays light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import harken


def test_import_harken_loads_neither_tensorflow_nor_numba():
    code = "import sys, harken; print(sorted(m for m in ('tensorflow', 'keras', 'numba') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("name", harken.__all__)
def test_every_public_name_resolves_to_its_home_object(name):
    value = getattr(harken, name)
    home = harken._LAZY.get(name)
    if home is not None:
        module, attribute = home if isinstance(home, tuple) else (home, name)
        assert value is getattr(importlib.import_module(module), attribute)
    assert name in dir(harken)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'ModelSpecs'"):
        harken.ModelSpecs  # noqa: B018


def test_train_and_evaluate_are_the_stage_functions_even_after_their_packages_are_imported():
    import harken.evaluation.scoring
    import harken.training.job

    assert harken.train is harken.training.job.train
    assert harken.evaluate is harken.evaluation.scoring.evaluate_model
    assert harken.training is sys.modules["harken.training"]
