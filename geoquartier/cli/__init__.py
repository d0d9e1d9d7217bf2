"""Command-line interface: importing this package registers every command on ``app``."""

import importlib

from geoquartier.cli.app import app, main

# Each module registers its commands on ``app``; a module that fails to import is a bug.
for _name in (
    "quartiers",
    "imports",
    "layers",
    "access",
    "planning",
    "maps",
    "serve",
    "users",
    "events",
    "surveys",
    "demo",
    "documents",
    "scenario",
    "db",
):
    importlib.import_module(f"geoquartier.cli.{_name}")

__all__ = ["app", "main"]
