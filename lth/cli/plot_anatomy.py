"""`lth plot-anatomy`: the anatomy figures."""

from __future__ import annotations

from pathlib import Path

from lth.cli.common import title

HELP = "render the anatomy figures"


def arguments(p) -> None:
    p.add_argument("--stats", required=True, type=Path, help="table written by 'lth anatomy --out'")
    p.add_argument("--hist", type=Path, help="histograms of 'lth anatomy'; without it no anatomy_init figure")
    p.add_argument("--units", type=Path, help="per-unit counts of 'lth anatomy'; without it no anatomy_units figure")
    p.add_argument("--outdir", required=True, type=Path, help="folder the figures go to")
    title(p)


def run(args) -> None:
    import pandas as pd

    from lth.figures import render_anatomy

    optional = [pd.read_csv(path) if path else None for path in (args.hist, args.units)]
    render_anatomy(pd.read_csv(args.stats), *optional, args.outdir, args.title)
