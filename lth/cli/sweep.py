"""`lth sweep`: one table of a sweep's members."""

from __future__ import annotations

from pathlib import Path

from lth.io import write_csv
from lth.specs import parse_mapping

HELP = "one table of a sweep's members' summaries, with the varied value"


def arguments(p) -> None:
    p.add_argument("--summaries", nargs="+", required=True, type=Path, help="the members' summary CSVs")
    p.add_argument("--key", required=True, help="the varied setting, e.g. train.lr")
    p.add_argument(
        "--members", required=True, help="YAML/JSON mapping: member experiment -> value label, in sweep order"
    )
    p.add_argument("--out", required=True, type=Path, help="CSV: the members' summary rows with the varied value")


def run(args) -> None:
    import pandas as pd

    from lth.summary import combine_sweep

    members = parse_mapping(args.members, "--members")
    write_csv(args.out, combine_sweep([pd.read_csv(p) for p in args.summaries], args.key, members))
