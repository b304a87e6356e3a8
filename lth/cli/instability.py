"""`lth instability`: the instability of each interpolation path."""

from __future__ import annotations

from pathlib import Path

from lth.io import write_csv

HELP = "instability (max error on the path minus endpoints' mean) of each path"


def arguments(p) -> None:
    p.add_argument("--paths", nargs="+", required=True, type=Path, help="CSVs written by 'lth interpolate'")
    p.add_argument("--threshold", type=float, default=0.02, help="stable when instability is at most this")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per path and split")
    p.add_argument("--paths-out", required=True, type=Path, help="CSV: all paths together")


def run(args) -> None:
    import pandas as pd

    from lth.instability import instability_table

    paths = pd.concat([pd.read_csv(p) for p in args.paths], ignore_index=True)
    write_csv(args.paths_out, paths)
    write_csv(args.out, instability_table(paths, args.threshold))
