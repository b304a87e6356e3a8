"""`lth` subcommands of the studies (registered by `lth.cli.build_parser`).

Like every other subcommand they take explicit inputs and outputs, and the study's config slice
as YAML/JSON (``--study``), parsed by the study's spec, so a job sees only what it depends on.
Per-trial inputs and outputs are given in trial order (trial 0 first).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pandas as pd
import torch
from safetensors.torch import load_file
from safetensors.torch import save as to_bytes

from lth import checkpoint, data, masks
from lth.checkpoint import Checkpoint
from lth.errors import LthError
from lth.io import check_hash, read_json_object, sidecar, write_csv, write_pair
from lth.specs import UNIT_HEURISTICS
from lth.studies import XOR_MODES, TicketStudy, XorStudy


def _runtime(args) -> torch.device:
    from lth.device import configure_runtime, resolve_device

    configure_runtime(args.threads, getattr(args, "precision", "fp32"))
    return resolve_device(getattr(args, "device", "cpu"))


def _model_for(ckpt: Checkpoint) -> torch.nn.Module:
    from lth.cli import _model_for as build

    return build(ckpt)


def _trial_of(ckpt: Checkpoint, default: int) -> int:
    """The trial recorded in a pipeline output's sidecar, else ``default`` (its position)."""
    return int(ckpt.provenance.get("context", {}).get("trial", default))


def cmd_weight_study(args) -> None:
    from lth.studies.tables import write_html_table
    from lth.studies.ticket import no_retraining_table, weight_stats

    study = TicketStudy.from_dict(args.study, "study")
    device = _runtime(args)
    splits = data.load_splits(args.data, args.validation_size, args.split_seed, device)
    stats, sweeps = [], []
    for index, path in enumerate(args.trained):
        ckpt = checkpoint.load(path, "trained dense network")
        if splits.info.name != ckpt.dataset:
            raise LthError(f"'{args.data}' holds {splits.info.name} but '{path}' was trained on {ckpt.dataset}")
        trial = _trial_of(ckpt, index)
        model = _model_for(ckpt).to(device)
        table = weight_stats(ckpt.weights, list(ckpt.masks), study.small_weights)
        table.insert(0, "trial", trial)
        stats.append(table)
        sweep = no_retraining_table(model, ckpt.weights, ckpt.masks, splits.test, study.percentiles)
        sweep.insert(0, "trial", trial)
        sweeps.append(sweep)
    stats_frame, sweep_frame = pd.concat(stats, ignore_index=True), pd.concat(sweeps, ignore_index=True)
    write_csv(args.stats, stats_frame)
    write_csv(args.sweep, sweep_frame)
    write_html_table(args.stats_html, stats_frame, "Weights of the trained dense network",
                     "std is the sample standard deviation; pct_below_t is the percent of weights with |w| < t.")
    write_html_table(args.sweep_html, sweep_frame, "Pruning without retraining",
                     "The round(p·n/100) weights of smallest |w| (all layers pooled) are zeroed and the network "
                     "is evaluated on the test set as it is; threshold is the smallest surviving |w|.")


def cmd_ticket(args) -> None:
    from lth.studies.ticket import find_ticket

    study = TicketStudy.from_dict(args.study, "study")
    tickets = find_ticket(pd.read_csv(args.summary), study.criterion, study.metric)
    if args.trial not in set(tickets["trial"]):
        raise LthError(f"--trial {args.trial}: not in '{args.summary}' (trials: {sorted(tickets['trial'])})")
    ticket = json.loads(tickets[tickets["trial"] == args.trial].to_json(orient="records"))[0]  # native types
    chosen = None
    for path in args.trained:
        ckpt = checkpoint.load(path, "trained ticket")
        where = ckpt.provenance.get("context", {})
        if "trial" not in where or "round" not in where:
            raise LthError(f"'{path}' has no trial/round in its sidecar's context (was it written by the pipeline?)")
        if (where["trial"], where["round"]) == (args.trial, ticket["round"]):
            chosen = path, ckpt
    if chosen is None:
        raise LthError(f"--trained: no state of trial {args.trial} round {ticket['round']}, the ticket the criterion chose")
    path, ckpt = chosen
    prov = {
        "step": "ticket", "ticket": ticket, "source": str(path), "seeds": ckpt.provenance.get("seeds", {}),
        "counts": masks.counts(ckpt.masks), "weights_remaining": masks.fraction_remaining(ckpt.masks),
        "environment": checkpoint.environment(),
    }
    checkpoint.save(args.mask, Checkpoint({}, ckpt.masks, ckpt.model, ckpt.dataset, prov))
    write_csv(args.out, pd.DataFrame([ticket]))


def _accuracy_at(metrics: pd.DataFrame, iteration: int) -> float:
    """Test accuracy at the last evaluation at or before ``iteration``."""
    test = metrics[(metrics["split"] == "test") & (metrics["iteration"] <= iteration)]
    return float(test.sort_values("iteration")["accuracy"].iloc[-1])


def cmd_ticket_summary(args) -> None:
    from lth.studies.tables import write_html_table
    from lth.studies.ticket import study_summary

    study = TicketStudy.from_dict(args.study, "study")
    tickets = pd.concat([pd.read_csv(p) for p in args.tickets], ignore_index=True)
    if not len(args.masks) == len(args.new_init) == len(args.new_init_metrics) == len(tickets):
        raise LthError("--masks, --new-init and --new-init-metrics need one path per trial (in trial order)")
    sizes, rows = {}, []
    for trial, mask_path, sidecar, metrics_path in zip(tickets["trial"], args.masks, args.new_init, args.new_init_metrics):
        mask = checkpoint.load(mask_path, "ticket mask").masks
        sizes[trial] = (sum(m.numel() for m in mask.values()), sum(masks.counts(mask).values()))
        record = read_json_object(sidecar, "training sidecar")
        metrics = pd.read_csv(metrics_path)
        rows.append({
            "trial": trial,
            "new_init_iterations": record["train"]["iterations"],
            "new_init_accuracy": record["summary"][study.metric],
            "new_init_accuracy_at_ticket_budget": _accuracy_at(metrics, args.budget),
            "new_init_max_accuracy": record["summary"]["max_test_accuracy"],
            "seed_new_init": record["seeds"].get("reinit"),
        })
    summary = study_summary(tickets, sizes, pd.DataFrame(rows))
    write_csv(args.out, summary)
    write_html_table(args.html, summary, "Ticket study summary",
                     f"The ticket is the smallest IMP ticket whose {study.metric} reaches the criterion; "
                     "log10_subnetworks_of_ticket_size = log10 C(dense_weights, ticket_weights). "
                     f"The new init trains the ticket's mask from fresh weights for {study.new_init_budget}x the budget.")


def cmd_plot_ticket(args) -> None:
    from lth.studies import figures

    study = TicketStudy.from_dict(args.study, "study")
    weights = {}
    for index, path in enumerate(args.trained):
        ckpt = checkpoint.load(path, "trained dense network")
        pooled = torch.cat([ckpt.weights[name].flatten() for name in ckpt.masks])
        weights[_trial_of(ckpt, index)] = pd.Series(pooled.double().numpy())
    stats, sweep = pd.read_csv(args.stats), pd.read_csv(args.sweep)
    tickets = pd.concat([pd.read_csv(p) for p in args.tickets], ignore_index=True)
    figures.save(figures.weight_histogram(weights, stats, args.title), args.outdir, "weights")
    imp = pd.read_csv(args.exp_summary)
    figures.save(figures.pruning_curves(sweep, imp, tickets, study.metric, args.title), args.outdir, "pruning")
    curves = pd.read_csv(args.exp_curves)
    chosen = tickets.set_index("trial")["round"]
    ticket_curves = curves[(curves["variant"] == "ticket") & (curves["split"] == "test")
                           & (curves["round"] == curves["trial"].map(chosen))]
    new_init = []
    for trial, path in zip(tickets["trial"], args.new_init_metrics):
        frame = pd.read_csv(path)
        frame = frame[frame["split"] == "test"].assign(trial=trial)
        new_init.append(frame)
    figures.save(figures.new_init_curves(ticket_curves, pd.concat(new_init), args.budget, args.title),
                 args.outdir, "new_init")


def _save_nets(path: Path, tensors: dict[str, torch.Tensor], meta: dict) -> None:
    blob = to_bytes({k: v.contiguous() for k, v in tensors.items()}, metadata={"format": "lth-xor-nets-1"})
    write_pair(path, blob, meta)


def _load_nets(path: Path) -> dict[str, torch.Tensor]:
    if not Path(path).is_file():
        raise LthError(f"XOR networks file not found: '{path}'")
    check_hash(path, read_json_object(sidecar(path), "sidecar of XOR networks"), "XOR networks")
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises several types for a corrupt or foreign file
        raise LthError(f"'{path}' is not a safetensors file ({exc})") from None


def cmd_xor_dense(args) -> None:
    from lth.studies import xor

    study = XorStudy.from_dict(args.study, "study")
    _runtime(args)
    theta0, trained, table = xor.dense_run(study, args.width)
    meta = {"step": "xor-dense", "study": study.to_dict(), "width": args.width, "nets": len(theta0),
            "seeds": {"study": study.seed, "init": "lth.studies.xor.init_seed(study seed, width, net)"},
            "environment": checkpoint.environment("cpu")}
    _save_nets(args.out, {**theta0.tensors("theta0/"), **trained.tensors("trained/")}, meta)
    write_csv(args.outcomes, table)


def cmd_xor_prune(args) -> None:
    from lth.studies import xor

    study = XorStudy.from_dict(args.study, "study")
    _runtime(args)
    tensors = _load_nets(args.nets)
    theta0, trained = xor.Nets.from_tensors(tensors, "theta0/"), xor.Nets.from_tensors(tensors, "trained/")
    if theta0.w1.shape[1] != study.prune_from:
        raise LthError(f"'{args.nets}' holds {theta0.w1.shape[1]}-unit networks but prune_from is {study.prune_from}")
    write_csv(args.out, xor.pruned_runs(study, theta0, trained, args.heuristic, args.mode))


def cmd_xor_tables(args) -> None:
    from lth.studies import figures, tables

    study = XorStudy.from_dict(args.study, "study")
    dense = pd.concat([pd.read_csv(p) for p in args.dense], ignore_index=True)
    pruned = pd.concat([pd.read_csv(p) for p in args.pruned], ignore_index=True)
    t1 = tables.table1(dense[dense["width"].isin(study.widths)], study.widths)
    t2 = tables.table2(pruned, pd.read_csv(args.unpruned))
    write_csv(args.table1, t1)
    write_csv(args.table2, t2)
    setup = (f"{study.inits} random inits per setting, {study.iterations} full-batch {study.optimizer} steps "
             f"(lr {study.lr:g}), init {study.init_text()}; DB: all four points classified correctly; "
             f"ZL: mean cross-entropy below {study.zero_loss:g}. Intervals: exact 95% (Clopper-Pearson).")
    tables.write_html_table(args.table1_html, t1, "XOR Table 1: success of randomly initialised 2-h-1 networks", setup)
    tables.write_html_table(args.table2_html, t2, f"XOR Table 2: {study.prune_from}-unit networks pruned, reset to θ₀ and "
                     "retrained", setup + f" Iterative pruning removes {study.per_round} units per round. db_if_dense_db_pct: "
                     f"DB success among the nets whose unpruned {study.prune_from}-unit net succeeded.")
    figures.save(figures.xor_success(t1, t2, args.title), args.outdir, "xor_success")


def cmd_xor_sensitivity(args) -> None:
    import sys

    import yaml

    from lth.studies import xor_sensitivity

    base = XorStudy.from_dict(args.study, "study")
    try:
        grid = yaml.safe_load(Path(args.grid).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise LthError(f"--grid '{args.grid}': cannot read a YAML grid ({exc})".splitlines()[0]) from None
    cells = xor_sensitivity.expand_grid(grid)
    _runtime(args)
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    write_csv(args.out, xor_sensitivity.sensitivity(base, cells, args.pruning, log))


def add_parsers(sub) -> None:
    """Register the study subcommands on the `lth` parser's subparsers."""

    def add(name: str, func, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    def study(p, kind: str):
        p.add_argument("--study", required=True, help=f"the {kind} study's config slice as YAML/JSON")

    def runtime(p, device: bool = True):
        if device:
            p.add_argument("--device", default=os.environ.get("LTH_DEVICE", "auto"),
                           help="auto (CUDA when present), cpu, cuda or cuda:N (default: $LTH_DEVICE, else auto)")
            p.add_argument("--precision", default=os.environ.get("LTH_PRECISION", "fp32"),
                           help="fp32 or tf32 on GPUs (default: $LTH_PRECISION, else fp32)")
        p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")

    p = add("weight-study", cmd_weight_study,
            "weight statistics of trained dense networks and their accuracy pruned at |w| percentiles without retraining")
    study(p, "ticket")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="trained dense networks, one per trial")
    p.add_argument("--data", required=True, type=Path, help="file written by 'lth data'")
    p.add_argument("--validation-size", type=int, default=5000)
    p.add_argument("--split-seed", type=int, default=0)
    for name in ("stats", "stats-html", "sweep", "sweep-html"):
        p.add_argument(f"--{name}", required=True, type=Path)
    runtime(p)

    p = add("ticket", cmd_ticket, "a trial's smallest IMP ticket that still reaches the accuracy criterion, and its mask")
    study(p, "ticket")
    p.add_argument("--summary", required=True, type=Path, help="the IMP experiment's summary.csv")
    p.add_argument("--trial", required=True, type=int)
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="the trial's trained tickets, every round")
    p.add_argument("--out", required=True, type=Path, help="CSV: the trial's ticket (one row)")
    p.add_argument("--mask", required=True, type=Path, help="where the ticket's mask goes")

    p = add("ticket-summary", cmd_ticket_summary, "the ticket study's summary: ticket size, log10 C(n, k), new init")
    study(p, "ticket")
    p.add_argument("--tickets", nargs="+", required=True, type=Path, help="CSVs written by 'lth ticket' (trial order)")
    p.add_argument("--masks", nargs="+", required=True, type=Path, help="ticket masks (trial order)")
    p.add_argument("--new-init", nargs="+", required=True, type=Path, help="sidecars of the new-init runs (trial order)")
    p.add_argument("--new-init-metrics", nargs="+", required=True, type=Path, help="their metrics CSVs (trial order)")
    p.add_argument("--budget", required=True, type=int, help="the ticket's training budget (iterations)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--html", required=True, type=Path)

    p = add("plot-ticket", cmd_plot_ticket, "figures of the ticket study: weights, pruning curves, new init")
    study(p, "ticket")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="trained dense networks (trial order)")
    p.add_argument("--stats", required=True, type=Path)
    p.add_argument("--sweep", required=True, type=Path)
    p.add_argument("--tickets", nargs="+", required=True, type=Path, help="CSVs written by 'lth ticket' (trial order)")
    p.add_argument("--exp-summary", required=True, type=Path)
    p.add_argument("--exp-curves", required=True, type=Path)
    p.add_argument("--new-init-metrics", nargs="+", required=True, type=Path, help="(trial order)")
    p.add_argument("--budget", required=True, type=int)
    p.add_argument("--outdir", required=True, type=Path)
    p.add_argument("--title", default="")

    p = add("xor-dense", cmd_xor_dense, "train many random 2-h-1 XOR networks; write them and their success")
    study(p, "xor")
    p.add_argument("--width", required=True, type=int, help="hidden units h")
    p.add_argument("--out", required=True, type=Path, help="safetensors: θ₀ and trained weights of every net")
    p.add_argument("--outcomes", required=True, type=Path, help="CSV: one row per net (loss, db, zl, seed)")
    runtime(p, device=False)

    p = add("xor-prune", cmd_xor_prune, "prune hidden units of trained XOR nets, reset to θ₀, retrain")
    study(p, "xor")
    p.add_argument("--nets", required=True, type=Path, help="file written by 'lth xor-dense' for prune_from units")
    p.add_argument("--heuristic", required=True, choices=UNIT_HEURISTICS)
    p.add_argument("--mode", required=True, choices=XOR_MODES)
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per net and unit count")
    runtime(p, device=False)

    p = add("xor-sensitivity", cmd_xor_sensitivity,
            "train the XOR study under each setting of a grid and rank the settings by distance to the paper's tables")
    study(p, "base xor")
    p.add_argument("--grid", required=True, type=Path,
                   help="YAML file: a mapping key -> list of values (their Cartesian product), or a list of such "
                        "mappings (joined); keys are the xor study's, e.g. optimizer, lr, init, bias_init, iterations")
    p.add_argument("--pruning", action="store_true",
                   help="also prune each setting's prune_from-unit nets (Table 2), about 5x the cost of Table 1 alone")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per setting, closest to the paper first")
    p.add_argument("--verbose", action="store_true", help="print each setting's distance and time as it finishes")
    runtime(p, device=False)

    p = add("xor-tables", cmd_xor_tables, "XOR Tables 1 and 2 (CSV and HTML) and their figure")
    study(p, "xor")
    p.add_argument("--dense", nargs="+", required=True, type=Path, help="outcomes of 'lth xor-dense'")
    p.add_argument("--pruned", nargs="+", required=True, type=Path, help="outcomes of 'lth xor-prune'")
    p.add_argument("--unpruned", required=True, type=Path, help="outcomes of 'lth xor-dense' for prune_from units")
    for name in ("table1", "table1-html", "table2", "table2-html", "outdir"):
        p.add_argument(f"--{name}", required=True, type=Path)
    p.add_argument("--title", default="")
