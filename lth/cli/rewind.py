"""`lth rewind`: a mask over earlier weights, the start of a ticket."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint
from lth.cli.common import out, provenance_arg, save_start

HELP = "apply a mask to earlier weights (θ₀, or θ_k for late rewinding)"


def arguments(p) -> None:
    p.add_argument("--mask", type=Path, help="mask to apply (default: the weights' own mask)")
    p.add_argument("--weights", required=True, type=Path, help="state to rewind to")
    out(p, "the start state (mask ⊙ weights)")
    provenance_arg(p)


def run(args) -> None:
    source = checkpoint.load(args.weights, "rewind weights")
    mask_ckpt = checkpoint.load(args.mask, "mask") if args.mask else source
    save_start(args, mask_ckpt, source.weights, mask_ckpt.masks, {}, source)
