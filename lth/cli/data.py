"""`lth data`: read a dataset into one tensor file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lth import data
from lth.cli.common import out
from lth.errors import LthError
from lth.io import check_writable

HELP = "read a dataset (downloading when absent) into one tensor file"


def arguments(p) -> None:
    p.add_argument("--dataset", required=True, help=f"one of: {', '.join(sorted(data.DATASETS))}")
    p.add_argument(
        "--root",
        type=Path,
        default=os.environ.get("LTH_DATA_ROOT"),
        help="data folder in torchvision's layout (default: $LTH_DATA_ROOT; one of the two is needed)",
    )
    out(p, "tensor file (safetensors) of the dataset's splits")


def run(args) -> None:
    if args.root is None:
        raise LthError("no data folder: give --root or set $LTH_DATA_ROOT")
    check_writable(args.out)
    meta = data.prepare(args.dataset, args.root, args.out)
    print(json.dumps(meta, sort_keys=True))
