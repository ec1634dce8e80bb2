"""Built-in model specifications, one file each (found by name by ``harken.spec.loader``).

Each file is a plain spec: its module docstring's first line is the description that
``harken list`` shows, and it defines ``spec``. Importing this package runs none of them.
"""
