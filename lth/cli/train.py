"""`lth train`: train a masked network from a start state."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint, data, masks, models
from lth.checkpoint import Checkpoint
from lth.cli import common
from lth.errors import LthError
from lth.io import check_writable, write_csv
from lth.specs import ModelSpec, TrainSpec
from lth.training import train

HELP = "train a masked network; write final weights, metrics CSV and early-stop summary"


def arguments(p) -> None:
    p.add_argument("--data", required=True, type=Path, help="file written by 'lth data'")
    p.add_argument("--start", required=True, type=Path, help="start state (weights and mask)")
    p.add_argument(
        "--train", required=True, help="training spec, e.g. '{optimizer: adam, lr: 1.2e-3, iterations: 5000}'"
    )
    p.add_argument("--order-seed", required=True, type=int, help="data-order seed")
    p.add_argument("--start-iteration", type=int, default=0, help="iteration the start state is at (late rewinding)")
    p.add_argument("--save-at", type=int, help="also write the weights at this iteration (for late rewinding)")
    p.add_argument("--save-out", type=Path, help="where --save-at writes")
    p.add_argument("--metrics", required=True, type=Path, help="tidy CSV: iteration,split,loss,accuracy")
    common.out(p, "the trained state (final weights, the start's mask)")
    p.add_argument(
        "--clamp",
        type=float,
        help="clip each prunable layer's |w| to this many standard deviations of its initialiser after every step",
    )
    common.split(p)
    common.runtime(p)
    common.provenance_arg(p)


def run(args) -> None:
    device = common.device(args)
    spec = TrainSpec.from_dict(args.train, "train")
    check_writable(args.out, args.metrics, args.save_out)
    start = checkpoint.load(args.start, "start state")
    data.require_dataset(args.data, start.dataset, f"start state '{args.start}'")
    model = checkpoint.build_model(start)
    checkpoint.load_into(model, start.weights, f"start state '{args.start}'")
    model.to(device)
    splits = common.splits(args, device)
    save_at = (args.save_at,) if args.save_at is not None else ()
    if args.save_at is not None and not args.save_out:
        raise LthError("--save-at needs --save-out (where to write the weights at that iteration)")
    clamp = models.clamp_bounds(model, ModelSpec.from_dict(start.model, "model"), args.clamp)
    result = train(
        model,
        start.masks,
        splits,
        spec,
        args.order_seed,
        start_iteration=args.start_iteration,
        save_at=save_at,
        clamp=clamp,
    )

    base = common.provenance(args, {"order": args.order_seed, "split": args.split_seed}, start, device)
    base.update(
        train=spec.to_dict(),
        data=splits.provenance(args.validation_size, args.split_seed, args.train_fraction),
        counts=masks.counts(start.masks),
        sizes={name: m.numel() for name, m in start.masks.items()},
        start_iteration=args.start_iteration,
    )
    if clamp:
        base.update(clamp={"scale": args.clamp, "bounds": clamp})
    if args.save_at is not None:
        saved = Checkpoint(
            result.saved[args.save_at], start.masks, start.model, start.dataset, {**base, "iteration": args.save_at}
        )
        checkpoint.save(args.save_out, saved)
    write_csv(args.metrics, result.metrics)
    final = Checkpoint(result.weights, start.masks, start.model, start.dataset, {**base, "summary": result.summary})
    checkpoint.save(args.out, final)
