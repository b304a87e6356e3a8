"""`lth imp-rewinding`: accuracy of the IMP tickets against the rewind iteration k."""

from __future__ import annotations

from pathlib import Path

from lth.io import write_csv
from lth.summary import imp_rewinding_table

HELP = "test accuracy of the IMP subnetworks rewound to k, against k"


def arguments(p) -> None:
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="trained tickets' sidecars (trained.json)")
    p.add_argument(
        "--k", nargs="+", required=True, type=int, help="the iteration each one's IMP run rewinds to, same order"
    )
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per trial, round and k")


def run(args) -> None:
    write_csv(args.out, imp_rewinding_table(args.trained, args.k))
