"""`lth plot-sweep`: the sweep overlays."""

from __future__ import annotations

from pathlib import Path

from lth.cli.common import title

HELP = "render the sweep overlays from the table of 'lth sweep'"


def arguments(p) -> None:
    p.add_argument("--sweep", required=True, type=Path, help="table written by 'lth sweep'")
    p.add_argument("--outdir", required=True, type=Path, help="folder the figures go to")
    title(p)


def run(args) -> None:
    import pandas as pd

    from lth.figures import render_sweep

    render_sweep(pd.read_csv(args.sweep), args.outdir, args.title)
