"""`python -m evalhouse.cli`, the same as the `evalhouse` command."""

from . import main

main(prog_name="evalhouse")
