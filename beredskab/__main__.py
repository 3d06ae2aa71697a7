"""`python -m beredskab` is the `beredskab` command."""

from beredskab.cli import app

app()
