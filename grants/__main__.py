"""Run the ``grants`` command as ``python -m grants``."""

from grants.cli import app

if __name__ == "__main__":
    app(prog_name="grants")
