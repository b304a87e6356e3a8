"""`lth evaluate`: loss and accuracy of a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

from lth import checkpoint, data, masks
from lth.cli import common
from lth.training import evaluate

HELP = "print loss and accuracy of a checkpoint as JSON"


def arguments(p) -> None:
    p.add_argument("--weights", required=True, type=Path, help="the state to evaluate (its mask is applied)")
    p.add_argument("--data", required=True, type=Path, help="file written by 'lth data'")
    p.add_argument(
        "--split", nargs="+", default=["test"], choices=["train", "val", "test"], help="splits to evaluate on"
    )
    common.split(p)
    common.runtime(p)


def run(args) -> None:
    device = common.device(args)
    ckpt = checkpoint.load(args.weights, "weights")
    data.require_dataset(args.data, ckpt.dataset, f"weights '{args.weights}'")
    model = checkpoint.build_model(ckpt)
    checkpoint.load_into(model, masks.apply(ckpt.weights, ckpt.masks), f"weights '{args.weights}'")
    model.to(device)
    splits = common.splits(args, device)
    out = {}
    for name in args.split:
        loss, acc = evaluate(model, getattr(splits, name))
        out[name] = {"loss": loss, "accuracy": acc}
    print(json.dumps(out, sort_keys=True))
