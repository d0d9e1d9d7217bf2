"""``python -m geoquartier`` runs the command-line interface."""

from geoquartier.cli.app import main

main()
