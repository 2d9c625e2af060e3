"""Run the CLI with `python -m academichub`."""

from academichub.cli.main import main

main()
