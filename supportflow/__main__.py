"""`python -m supportflow` runs the command line."""

from supportflow.cli import main

main()
