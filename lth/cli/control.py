"""`lth control`: the start state of a control (the registry of `lth.controls`)."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint, controls, masks
from lth.cli.common import out, provenance_arg, save_start

HELP = f"make a control start state: {', '.join(controls.CONTROLS)}"


def arguments(p) -> None:
    p.add_argument("--kind", required=True, choices=list(controls.CONTROLS), help="which control (lth/controls.py)")
    p.add_argument("--mask", required=True, type=Path, help="the ticket's mask for this round")
    p.add_argument("--weights", required=True, type=Path, help="the ticket's rewind state (θ₀ or θ_k)")
    p.add_argument("--seed", required=True, type=int, help="the control's own seed")
    p.add_argument(
        "--shuffle-output",
        action="store_true",
        help="shuffle: move the output layer's connections too (default: it keeps the ticket's, as in the paper)",
    )
    out(p, "the control's start state")
    provenance_arg(p)


def run(args) -> None:
    controls.check(args.kind, args.shuffle_output)
    mask_ckpt = checkpoint.load(args.mask, "mask")
    source = checkpoint.load(args.weights, "rewind weights")
    masks.check_compatible(source.weights, mask_ckpt.masks, f"mask '{args.mask}'")
    mask, weights, extra = controls.start(args.kind, source, mask_ckpt.masks, args.seed, args.shuffle_output)
    save_start(args, mask_ckpt, weights, mask, {args.kind: args.seed}, source, **extra)
