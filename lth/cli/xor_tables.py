"""`lth xor-tables`: the XOR study's Tables 1 and 2 and their figure."""

from __future__ import annotations

from pathlib import Path

from lth.cli import common
from lth.io import write_csv
from lth.studies import XorStudy

HELP = "XOR Tables 1 and 2 (CSV and HTML) and their figure"


def arguments(p) -> None:
    common.study(p, "xor")
    p.add_argument("--dense", nargs="+", required=True, type=Path, help="outcomes of 'lth xor-dense'")
    p.add_argument("--pruned", nargs="+", required=True, type=Path, help="outcomes of 'lth xor-prune'")
    p.add_argument("--unpruned", required=True, type=Path, help="outcomes of 'lth xor-dense' for prune_from units")
    p.add_argument("--table1", required=True, type=Path, help="CSV: success of the dense networks per width")
    p.add_argument("--table1-html", required=True, type=Path, help="Table 1 as HTML (for the report)")
    p.add_argument("--table2", required=True, type=Path, help="CSV: success of the pruned networks")
    p.add_argument("--table2-html", required=True, type=Path, help="Table 2 as HTML (for the report)")
    p.add_argument("--outdir", required=True, type=Path, help="folder the figure goes to")
    common.title(p)


def run(args) -> None:
    import pandas as pd

    from lth.studies import figures, tables

    study = XorStudy.from_dict(args.study, "study")
    dense = pd.concat([pd.read_csv(p) for p in args.dense], ignore_index=True)
    pruned = pd.concat([pd.read_csv(p) for p in args.pruned], ignore_index=True)
    t1 = tables.table1(dense[dense["width"].isin(study.widths)], study.widths)
    t2 = tables.table2(pruned, pd.read_csv(args.unpruned))
    write_csv(args.table1, t1)
    write_csv(args.table2, t2)
    setup = (
        f"{study.inits} random inits per setting, {study.iterations} full-batch {study.optimizer} steps "
        f"(lr {study.lr:g}), init {study.init_text()}; DB: all four points classified correctly; "
        f"ZL: mean cross-entropy below {study.zero_loss:g}. Intervals: exact 95% (Clopper-Pearson)."
    )
    tables.write_html_table(args.table1_html, t1, "XOR Table 1: success of randomly initialised 2-h-1 networks", setup)
    tables.write_html_table(
        args.table2_html,
        t2,
        f"XOR Table 2: {study.prune_from}-unit networks pruned, reset to θ₀ and retrained",
        setup + f" Iterative pruning removes {study.per_round} units per round. db_if_dense_db_pct: "
        f"DB success among the nets whose unpruned {study.prune_from}-unit net succeeded.",
    )
    figures.save(figures.xor_success(t1, t2, args.title), args.outdir, "xor_success")
