"""`python -m outcrop` runs the CLI."""

from outcrop.cli.main import main

main()
