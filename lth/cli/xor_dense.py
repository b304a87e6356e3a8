"""`lth xor-dense`: the XOR study's randomly initialised dense networks, trained."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint
from lth.cli import common
from lth.io import write_csv
from lth.studies import XorStudy, xor

HELP = "train many random 2-h-1 XOR networks; write them and their success"


def arguments(p) -> None:
    common.study(p, "xor")
    p.add_argument("--width", required=True, type=int, help="hidden units h")
    p.add_argument("--out", required=True, type=Path, help="safetensors: θ₀ and trained weights of every net")
    p.add_argument("--outcomes", required=True, type=Path, help="CSV: one row per net (loss, db, zl, seed)")
    common.runtime(p, device=False)


def run(args) -> None:
    study = XorStudy.from_dict(args.study, "study")
    common.device(args)
    theta0, trained, table = xor.dense_run(study, args.width)
    meta = {
        "step": "xor-dense",
        "study": study.to_dict(),
        "width": args.width,
        "nets": len(theta0),
        "seeds": {"study": study.seed, "init": "lth.studies.xor.init_seed(study seed, width, net)"},
        "environment": checkpoint.environment("cpu"),
    }
    xor.save_nets(args.out, {**theta0.tensors("theta0/"), **trained.tensors("trained/")}, meta)
    write_csv(args.outcomes, table)
