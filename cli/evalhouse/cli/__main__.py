"""`python -m evalhouse.cli`, the same as the `evalhouse` command."""

from evalhouse.cli import main

main(prog_name="evalhouse")
