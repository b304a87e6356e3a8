"""`lth structure`: how the tickets' structure changes from round to round."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint
from lth.io import write_csv

HELP = "round-to-round Spearman of magnitudes and mask overlaps of the tickets"


def arguments(p) -> None:
    p.add_argument(
        "--trained", nargs="+", required=True, type=Path, help="trained tickets (trial and round from their sidecars)"
    )
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per trial, layer and pair of rounds")


def run(args) -> None:
    from lth.stability import structure_by_trial  # scipy: imported only where needed

    states = []
    for path in args.trained:
        ckpt = checkpoint.load(path, "trained state")
        states.append((*checkpoint.trial_round(path, ckpt), ckpt.weights, ckpt.masks))
    write_csv(args.out, structure_by_trial(states))
