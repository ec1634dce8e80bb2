"""``python -m harken ARGS``: the ``harken`` command, for environments without the console script."""

from harken.cli.main import main

if __name__ == "__main__":
    main()
