"""`lth anatomy`: where the tickets' surviving weights started and how they connect units."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint
from lth.anatomy import anatomy_tables
from lth.io import write_csv

HELP = "initial values and per-unit connections of the tickets' surviving weights"


def arguments(p) -> None:
    p.add_argument(
        "--states",
        nargs="+",
        required=True,
        type=Path,
        help="rewind states (mask ⊙ θ_k) of every round, round 0 included (trial and round from their sidecars)",
    )
    p.add_argument("--bins", type=int, default=50, help="histogram bins per layer")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per trial, round and layer")
    p.add_argument("--hist", required=True, type=Path, help="CSV: histograms of the surviving initial values")
    p.add_argument("--units", required=True, type=Path, help="CSV: sorted connections per unit")


def run(args) -> None:
    states, layers = [], None
    for path in args.states:
        ckpt = checkpoint.load(path, "start state")
        trial, round_ = checkpoint.trial_round(path, ckpt)
        layers = layers or list(checkpoint.build_model(ckpt).prunable_layers())
        states.append((trial, round_, ckpt.weights, ckpt.masks))
    stats, hist, units = anatomy_tables(states, layers, args.bins)
    write_csv(args.out, stats)
    write_csv(args.hist, hist)
    write_csv(args.units, units)
