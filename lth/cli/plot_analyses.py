"""`lth plot-analyses`: the instability and structure figures."""

from __future__ import annotations

from pathlib import Path

from lth.cli.common import title

HELP = "render the instability and structure figures"


def arguments(p) -> None:
    p.add_argument("--instability", type=Path, help="table written by 'lth instability'")
    p.add_argument(
        "--instability-paths",
        type=Path,
        help="paths written by 'lth instability'; without it no instability_paths figure",
    )
    p.add_argument(
        "--imp-rewinding",
        type=Path,
        help="table written by 'lth imp-rewinding'; without it no imp_rewinding_vs_k figure",
    )
    p.add_argument("--threshold", type=float, default=0.02, help="instability below which a network is stable")
    p.add_argument("--structure", type=Path, help="table written by 'lth structure'")
    p.add_argument("--outdir", required=True, type=Path, help="folder the figures go to")
    title(p)


def run(args) -> None:
    import pandas as pd

    from lth.figures import render_instability, render_structure

    if args.instability:
        paths, imp = (pd.read_csv(path) if path else None for path in (args.instability_paths, args.imp_rewinding))
        render_instability(paths, pd.read_csv(args.instability), imp, args.outdir, args.title, args.threshold)
    if args.structure:
        render_structure(pd.read_csv(args.structure), args.outdir, args.title)
