"""`lth plot`: the paper-style figures of an experiment."""

from __future__ import annotations

from pathlib import Path

from lth.cli.common import title

HELP = "render the paper-style figures (PNG and PDF) from the summary tables"


def arguments(p) -> None:
    p.add_argument("--summary", required=True, type=Path, help="table written by 'lth summarize --out'")
    p.add_argument(
        "--curves", type=Path, help="every evaluation (written by 'lth summarize'); without it no curves figure"
    )
    p.add_argument("--outdir", required=True, type=Path, help="folder the figures go to")
    title(p)


def run(args) -> None:
    import pandas as pd

    from lth.figures import render

    render(pd.read_csv(args.summary), pd.read_csv(args.curves) if args.curves else None, args.outdir, args.title)
