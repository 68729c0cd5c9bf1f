"""``python -m mudump.cli``: the command line."""

from . import main

main()
