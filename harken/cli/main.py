"""The ``harken`` command: the command groups registered on :data:`harken.cli.app.app`, and :func:`main`.

Each group lives in its own module (``features``, ``model``, ``evaluate``, ``datasets``) and imports its
library code inside the commands, so ``harken --help`` imports neither TensorFlow nor the front end.
"""

from __future__ import annotations

from harken.cli import classify, datasets, evaluate, export, features, model
from harken.cli.app import app, run

features.register(app)
model.register(app)
evaluate.register(app)
datasets.register(app)
classify.register(app)
export.register(app)


def main() -> None:
    """Entry point of ``harken`` and ``python -m harken``: run the app; errors become exit codes (see ``run``)."""
    run(app)


if __name__ == "__main__":
    main()
