"""`lth xor-sensitivity`: the XOR study under each setting of a grid, ranked by distance to the paper."""

from __future__ import annotations

import sys
from pathlib import Path

from lth.cli import common
from lth.errors import LthError
from lth.io import write_csv
from lth.studies import XorStudy

HELP = "train the XOR study under each setting of a grid and rank the settings by distance to the paper's tables"


def arguments(p) -> None:
    common.study(p, "base xor")
    p.add_argument(
        "--grid",
        required=True,
        type=Path,
        help="YAML file: a mapping key -> list of values (their Cartesian product), or a list of such "
        "mappings (joined); keys are the xor study's, e.g. optimizer, lr, init, bias_init, iterations",
    )
    p.add_argument(
        "--pruning",
        action="store_true",
        help="also prune each setting's prune_from-unit nets (Table 2), about 5x the cost of Table 1 alone",
    )
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per setting, closest to the paper first")
    p.add_argument("--verbose", action="store_true", help="print each setting's distance and time as it finishes")
    common.runtime(p, device=False)


def run(args) -> None:
    import yaml

    from lth.studies import xor_sensitivity

    base = XorStudy.from_dict(args.study, "study")
    try:
        grid = yaml.safe_load(Path(args.grid).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise LthError(f"--grid '{args.grid}': cannot read a YAML grid ({exc})".splitlines()[0]) from None
    cells = xor_sensitivity.expand_grid(grid)
    common.device(args)
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    write_csv(args.out, xor_sensitivity.sensitivity(base, cells, args.pruning, log))
