"""`lth prune`: the next mask of a pruning chain."""

from __future__ import annotations

from pathlib import Path

import torch

from lth import checkpoint, masks
from lth.checkpoint import Checkpoint
from lth.cli.common import out, provenance, provenance_arg
from lth.specs import PruneSpec

HELP = "magnitude-prune a trained network one round; write the new mask"


def arguments(p) -> None:
    p.add_argument("--trained", required=True, type=Path, help="the trained network to prune (its mask is the start)")
    p.add_argument(
        "--prune", required=True, help="pruning spec, e.g. '{strategy: layerwise, rate: 0.2, output_rate: 0.1}'"
    )
    p.add_argument(
        "--oneshot-rounds",
        type=int,
        help="prune the (dense) trained network in one shot to the sparsity of this many iterative rounds",
    )
    p.add_argument("--round", type=int, help="the round this mask is for (needed with prune.target_remaining)")
    p.add_argument("--inverse", action="store_true", help="remove the largest magnitudes instead of the smallest")
    p.add_argument("--tie-seed", type=int, help="break ties between equal magnitudes in a random order from this seed")
    out(p, "the new mask")
    provenance_arg(p)


def run(args) -> None:
    spec = PruneSpec.from_dict(args.prune, "prune")
    trained = checkpoint.load(args.trained, "trained state")
    generator = torch.Generator().manual_seed(args.tie_seed) if args.tie_seed is not None else None
    new = masks.prune(
        checkpoint.build_model(trained),
        trained.weights,
        trained.masks,
        spec,
        args.round,
        inverse=args.inverse,
        generator=generator,
        oneshot_rounds=args.oneshot_rounds,
    )
    prov = provenance(args, {"ties": args.tie_seed} if args.tie_seed is not None else {}, trained)
    prov.update(
        prune=spec.to_dict(),
        per_round_rate=spec.rate,
        inverse=args.inverse,
        counts=masks.counts(new),
        weights_remaining=masks.fraction_remaining(new),
    )
    checkpoint.save(args.out, Checkpoint({}, new, trained.model, trained.dataset, prov))
