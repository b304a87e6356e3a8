"""`lth interpolate`: error along the linear path between two trained networks."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint, data, masks
from lth.cli import common
from lth.instability import alphas, error_along_path
from lth.io import check_writable, write_csv
from lth.specs import parse_mapping

HELP = "error and loss along the straight line between two trained networks"


def arguments(p) -> None:
    p.add_argument("--a", required=True, type=Path, help="first trained network (its mask is kept along the path)")
    p.add_argument("--b", required=True, type=Path, help="second trained network (same start, other data order)")
    p.add_argument("--data", required=True, type=Path, help="file written by 'lth data'")
    p.add_argument("--points", type=int, default=30, help="evenly spaced α in [0, 1] (paper: 30)")
    p.add_argument("--out", required=True, type=Path, help="CSV: [context columns,] alpha, split, loss, error")
    common.split(p)
    common.runtime(p)
    common.provenance_arg(p)


def run(args) -> None:
    device = common.device(args)
    check_writable(args.out)
    a, b = checkpoint.load(args.a, "network a"), checkpoint.load(args.b, "network b")
    masks.check_compatible(b.weights, a.masks, f"mask of '{args.a}'")
    checkpoint.check_same_network(a, f"network a '{args.a}'", b, f"network b '{args.b}'")
    data.require_dataset(args.data, a.dataset, f"network a '{args.a}'")
    model = checkpoint.build_model(a).to(device)
    splits = common.splits(args, device)
    path = error_along_path(
        model, a.weights, b.weights, a.masks, {"train": splits.train, "test": splits.test}, alphas(args.points)
    )
    path.insert(0, "weights_remaining", masks.fraction_remaining(a.masks))
    for key, value in reversed(parse_mapping(args.provenance, "--provenance").items()):
        if isinstance(value, (str, int, float)):
            path.insert(0, key, value)
    write_csv(args.out, path)
