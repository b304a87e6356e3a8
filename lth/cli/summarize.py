"""`lth summarize`: the summary and curves tables of an experiment's trained networks."""

from __future__ import annotations

from pathlib import Path

from lth.io import write_csv
from lth.specs import parse_mapping
from lth.summary import collect

HELP = "tabulate trained networks: one summary row each, plus all curves"


def arguments(p) -> None:
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="training sidecars (trained.json)")
    p.add_argument("--metrics", nargs="+", required=True, type=Path, help="their metrics CSVs, same order")
    p.add_argument("--out", required=True, type=Path, help="summary CSV")
    p.add_argument("--curves", required=True, type=Path, help="CSV of every evaluation of every run")
    p.add_argument("--columns", help="YAML/JSON mapping of settings added as columns to every row (e.g. prune_rate)")


def run(args) -> None:
    summary, curves = collect(args.trained, args.metrics, parse_mapping(args.columns, "--columns"))
    write_csv(args.out, summary)
    write_csv(args.curves, curves)
