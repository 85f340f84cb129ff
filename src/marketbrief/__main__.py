"""``python -m marketbrief``: the same as the ``marketbrief`` command."""

from marketbrief.cli import main

main()
