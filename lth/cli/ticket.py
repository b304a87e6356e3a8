"""`lth ticket`: a trial's ticket, as the study's criterion chooses it, and its mask."""

from __future__ import annotations

import json
from pathlib import Path

from lth import checkpoint, masks
from lth.checkpoint import Checkpoint
from lth.cli.common import study
from lth.errors import LthError
from lth.io import write_csv
from lth.studies import TicketStudy

HELP = "a trial's smallest IMP ticket that still reaches the accuracy criterion, and its mask"


def arguments(p) -> None:
    study(p, "ticket")
    p.add_argument("--summary", required=True, type=Path, help="the IMP experiment's summary.csv")
    p.add_argument("--trial", required=True, type=int, help="the trial whose ticket is chosen")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="the trial's trained tickets, every round")
    p.add_argument("--out", required=True, type=Path, help="CSV: the trial's ticket (one row)")
    p.add_argument("--mask", required=True, type=Path, help="where the ticket's mask goes")


def run(args) -> None:
    import pandas as pd

    from lth.studies.ticket import find_ticket

    spec = TicketStudy.from_dict(args.study, "study")
    tickets = find_ticket(pd.read_csv(args.summary), spec.criterion, spec.metric)
    if args.trial not in set(tickets["trial"]):
        raise LthError(f"--trial {args.trial}: not in '{args.summary}' (trials: {sorted(tickets['trial'])})")
    ticket = json.loads(tickets[tickets["trial"] == args.trial].to_json(orient="records"))[0]  # native types
    chosen = None
    for path in args.trained:
        ckpt = checkpoint.load(path, "trained ticket")
        if checkpoint.trial_round(path, ckpt) == (args.trial, ticket["round"]):
            chosen = path, ckpt
    if chosen is None:
        raise LthError(
            f"--trained: no state of trial {args.trial} round {ticket['round']}, the ticket the criterion chose"
        )
    path, ckpt = chosen
    prov = {
        "step": "ticket",
        "ticket": ticket,
        "source": str(path),
        "seeds": ckpt.provenance.get("seeds", {}),
        "counts": masks.counts(ckpt.masks),
        "weights_remaining": masks.fraction_remaining(ckpt.masks),
        "environment": checkpoint.environment(),
    }
    checkpoint.save(args.mask, Checkpoint({}, ckpt.masks, ckpt.model, ckpt.dataset, prov))
    write_csv(args.out, pd.DataFrame([ticket]))
