"""Run the ``grants`` command as ``python -m grants``."""

from grants.cli import app

app(prog_name="grants")
