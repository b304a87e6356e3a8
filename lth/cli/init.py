"""`lth init`: a model's initial weights θ₀ with a full mask."""

from __future__ import annotations

from lth import checkpoint, data, masks, models
from lth.checkpoint import Checkpoint
from lth.cli.common import out, provenance, provenance_arg
from lth.specs import ModelSpec

HELP = "build a model and write its initial weights θ₀ with a full mask"


def arguments(p) -> None:
    p.add_argument(
        "--model", required=True, help="model spec, e.g. '{name: mlp, hidden: [300, 100], init: glorot_normal}'"
    )
    p.add_argument("--dataset", required=True, help="dataset the model is for (input shape, classes)")
    p.add_argument("--seed", required=True, type=int, help="initialisation seed")
    out(p, "the initial state (weights and full mask)")
    provenance_arg(p)


def run(args) -> None:
    spec = ModelSpec.from_dict(args.model, "model")
    info = data.dataset_info(args.dataset)
    model = models.build(spec, info.input_shape, info.num_classes)
    models.initialise(model, spec, args.seed)
    ckpt = Checkpoint(model.state_dict(), masks.full_mask(model), spec.to_dict(), args.dataset)
    ckpt.provenance = provenance(args, {"init": args.seed})
    checkpoint.save(args.out, ckpt)
