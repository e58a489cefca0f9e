"""`python -m waypost` runs the CLI."""

from waypost.cli import main

main()
