"""`lth verify`: check a results folder's files."""

from __future__ import annotations

import sys
from pathlib import Path

HELP = "check every file of a results folder (or config files) and name what re-creates the damaged ones"


def arguments(p) -> None:
    p.add_argument("paths", nargs="+", type=Path, help="results folders, and/or YAML/JSON config files")


def run(args) -> None:
    from lth.integrity import verify

    verify(args.paths, sys.stdout)
