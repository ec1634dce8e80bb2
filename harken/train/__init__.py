"""Training: fit, callbacks, resume state, initial weights, ensembles, and the whole job (``job.train``).

The package is callable, so that ``harken.train(spec)`` runs :func:`harken.train.job.train` while
``harken.train.job`` stays importable: once any ``harken.train.*`` module is imported, the name
``harken.train`` is this package, so a plain function of that name could not stay there.
"""

import sys
import types


class _CallablePackage(types.ModuleType):
    """``harken.train``: this subpackage, which also trains a spec when called."""

    def __call__(self, spec, **options):  # noqa: ANN001, ANN204 - the signature is job.train's
        """Train ``spec``: see :func:`harken.train.job.train` for the options and the result."""
        from harken.train.job import train

        return train(spec, **options)


sys.modules[__name__].__class__ = _CallablePackage
