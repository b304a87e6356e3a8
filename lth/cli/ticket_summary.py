"""`lth ticket-summary`: the ticket study's summary table."""

from __future__ import annotations

from pathlib import Path

from lth import checkpoint
from lth.cli.common import study
from lth.io import read_json_object, write_csv
from lth.studies import TicketStudy

HELP = "the ticket study's summary: ticket size, log10 C(n, k), new init"


def arguments(p) -> None:
    study(p, "ticket")
    p.add_argument("--tickets", nargs="+", required=True, type=Path, help="CSVs written by 'lth ticket' (trial order)")
    p.add_argument("--masks", nargs="+", required=True, type=Path, help="ticket masks (trial order)")
    p.add_argument(
        "--new-init", nargs="+", required=True, type=Path, help="sidecars of the new-init runs (trial order)"
    )
    p.add_argument("--new-init-metrics", nargs="+", required=True, type=Path, help="their metrics CSVs (trial order)")
    p.add_argument("--budget", required=True, type=int, help="the ticket's training budget (iterations)")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per trial")
    p.add_argument("--html", required=True, type=Path, help="the same as an HTML table (for the report)")


def run(args) -> None:
    import pandas as pd

    from lth.studies.tables import write_html_table
    from lth.studies.ticket import ticket_summary

    spec = TicketStudy.from_dict(args.study, "study")
    tickets = pd.concat([pd.read_csv(p) for p in args.tickets], ignore_index=True)
    summary = ticket_summary(
        tickets,
        [checkpoint.load(path, "ticket mask").masks for path in args.masks],
        [read_json_object(path, "training sidecar") for path in args.new_init],
        [pd.read_csv(path) for path in args.new_init_metrics],
        args.budget,
        spec.metric,
    )
    write_csv(args.out, summary)
    write_html_table(
        args.html,
        summary,
        "Ticket study summary",
        f"The ticket is the smallest IMP ticket whose {spec.metric} reaches the criterion; "
        "log10_subnetworks_of_ticket_size = log10 C(dense_weights, ticket_weights). "
        f"The new init trains the ticket's mask from fresh weights for {spec.new_init_budget}x the budget.",
    )
