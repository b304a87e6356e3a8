"""`lth weight-study`: the ticket study's weights of the trained dense networks."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint
from lth.cli import common
from lth.errors import LthError
from lth.io import write_csv
from lth.studies import TicketStudy

HELP = "weight statistics of trained dense networks and their accuracy pruned at |w| percentiles without retraining"


def arguments(p) -> None:
    common.study(p, "ticket")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="trained dense networks, one per trial")
    p.add_argument("--data", required=True, type=Path, help="file written by 'lth data'")
    common.split(p, fraction=False)
    p.add_argument("--stats", required=True, type=Path, help="CSV: weight statistics per trial and layer")
    p.add_argument("--stats-html", required=True, type=Path, help="the same as an HTML table (for the report)")
    p.add_argument(
        "--sweep", required=True, type=Path, help="CSV: accuracy pruned at each percentile without retraining"
    )
    p.add_argument("--sweep-html", required=True, type=Path, help="the same as an HTML table (for the report)")
    common.runtime(p)


def run(args) -> None:
    import pandas as pd

    from lth.studies.tables import write_html_table
    from lth.studies.ticket import no_retraining_table, weight_stats

    study = TicketStudy.from_dict(args.study, "study")
    device = common.device(args)
    splits = common.splits(args, device)
    stats, sweeps = [], []
    for index, path in enumerate(args.trained):
        ckpt = checkpoint.load(path, "trained dense network")
        if splits.info.name != ckpt.dataset:
            raise LthError(f"'{args.data}' holds {splits.info.name} but '{path}' was trained on {ckpt.dataset}")
        trial = checkpoint.trial_of(ckpt, index)
        model = checkpoint.build_model(ckpt).to(device)
        table = weight_stats(ckpt.weights, list(ckpt.masks), study.small_weights)
        table.insert(0, "trial", trial)
        stats.append(table)
        sweep = no_retraining_table(model, ckpt.weights, ckpt.masks, splits.test, study.percentiles)
        sweep.insert(0, "trial", trial)
        sweeps.append(sweep)
    stats_frame, sweep_frame = pd.concat(stats, ignore_index=True), pd.concat(sweeps, ignore_index=True)
    write_csv(args.stats, stats_frame)
    write_csv(args.sweep, sweep_frame)
    write_html_table(
        args.stats_html,
        stats_frame,
        "Weights of the trained dense network",
        "std is the sample standard deviation; pct_below_t is the percent of weights with |w| < t.",
    )
    write_html_table(
        args.sweep_html,
        sweep_frame,
        "Pruning without retraining",
        "The round(p·n/100) weights of smallest |w| (all layers pooled) are zeroed and the network "
        "is evaluated on the test set as it is; threshold is the smallest surviving |w|.",
    )
