"""`lth xor-prune`: the XOR study's pruned and retrained networks."""

from __future__ import annotations

from pathlib import Path

from lth.cli import common
from lth.errors import LthError
from lth.io import write_csv
from lth.specs import UNIT_HEURISTICS
from lth.studies import XOR_MODES, XorStudy, xor

HELP = "prune hidden units of trained XOR nets, reset to θ₀, retrain"


def arguments(p) -> None:
    common.study(p, "xor")
    p.add_argument("--nets", required=True, type=Path, help="file written by 'lth xor-dense' for prune_from units")
    p.add_argument("--heuristic", required=True, choices=UNIT_HEURISTICS, help="which hidden units to remove")
    p.add_argument("--mode", required=True, choices=XOR_MODES, help="choose the units once or round by round")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per net and unit count")
    common.runtime(p, device=False)


def run(args) -> None:
    study = XorStudy.from_dict(args.study, "study")
    common.device(args)
    tensors = xor.load_nets(args.nets)
    theta0, trained = xor.Nets.from_tensors(tensors, "theta0/"), xor.Nets.from_tensors(tensors, "trained/")
    if theta0.w1.shape[1] != study.prune_from:
        raise LthError(f"'{args.nets}' holds {theta0.w1.shape[1]}-unit networks but prune_from is {study.prune_from}")
    write_csv(args.out, xor.pruned_runs(study, theta0, trained, args.heuristic, args.mode))
