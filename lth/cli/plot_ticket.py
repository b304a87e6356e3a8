"""`lth plot-ticket`: the ticket study's figures."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint
from lth.cli.common import study, title
from lth.studies import TicketStudy

HELP = "figures of the ticket study: weights, pruning curves, new init"


def arguments(p) -> None:
    study(p, "ticket")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="trained dense networks (trial order)")
    p.add_argument("--stats", required=True, type=Path, help="weight statistics written by 'lth weight-study'")
    p.add_argument(
        "--sweep", required=True, type=Path, help="pruning without retraining, written by 'lth weight-study'"
    )
    p.add_argument("--tickets", nargs="+", required=True, type=Path, help="CSVs written by 'lth ticket' (trial order)")
    p.add_argument("--exp-summary", required=True, type=Path, help="the IMP experiment's summary.csv")
    p.add_argument("--exp-curves", required=True, type=Path, help="the IMP experiment's curves.csv")
    p.add_argument(
        "--new-init-metrics",
        nargs="+",
        required=True,
        type=Path,
        help="metrics CSVs of the new-init runs (trial order)",
    )
    p.add_argument("--budget", required=True, type=int, help="the ticket's training budget (iterations)")
    p.add_argument("--outdir", required=True, type=Path, help="folder the figures go to")
    title(p)


def run(args) -> None:
    import pandas as pd
    import torch

    from lth.studies import figures

    spec = TicketStudy.from_dict(args.study, "study")
    weights = {}
    for index, path in enumerate(args.trained):
        ckpt = checkpoint.load(path, "trained dense network")
        pooled = torch.cat([ckpt.weights[name].flatten() for name in ckpt.masks])
        weights[checkpoint.trial_of(ckpt, index)] = pd.Series(pooled.double().numpy())
    stats, sweep = pd.read_csv(args.stats), pd.read_csv(args.sweep)
    tickets = pd.concat([pd.read_csv(p) for p in args.tickets], ignore_index=True)
    figures.save(figures.weight_histogram(weights, stats, args.title), args.outdir, "weights")
    imp = pd.read_csv(args.exp_summary)
    figures.save(figures.pruning_curves(sweep, imp, tickets, spec.metric, args.title), args.outdir, "pruning")
    curves = pd.read_csv(args.exp_curves)
    chosen = tickets.set_index("trial")["round"]
    ticket_curves = curves[
        (curves["variant"] == "ticket") & (curves["split"] == "test") & (curves["round"] == curves["trial"].map(chosen))
    ]
    new_init = []
    for trial, path in zip(tickets["trial"], args.new_init_metrics):
        frame = pd.read_csv(path)
        frame = frame[frame["split"] == "test"].assign(trial=trial)
        new_init.append(frame)
    figures.save(
        figures.new_init_curves(ticket_curves, pd.concat(new_init), args.budget, args.title), args.outdir, "new_init"
    )
