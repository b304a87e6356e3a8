"""The `lth` command line: one subcommand per pipeline step, explicit input and output paths.

Each subcommand is a thin shell around library functions so that a Snakemake rule can call it with
its inputs, outputs and params; bad input ends in one line naming the culprit and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import torch

from lth import checkpoint, data, masks, models
from lth.checkpoint import Checkpoint
from lth.errors import LthError, report
from lth.io import check_writable, write_csv
from lth.specs import ModelSpec, PruneSpec, TrainSpec, parse_mapping


def _provenance(args, own_seeds: dict, inherited: Checkpoint | None = None, device=None) -> dict:
    """Sidecar content: the inputs' seeds plus this step's, the caller's context and the environment."""
    seeds = dict(inherited.provenance.get("seeds", {})) if inherited else {}
    seeds.update(own_seeds)
    return {
        "step": args.command,
        "seeds": seeds,
        "context": parse_mapping(args.provenance, "--provenance"),
        "inputs": {k: str(v) for k, v in vars(args).items() if k in INPUT_ARGS and v is not None},
        "environment": checkpoint.environment(device),
    }


INPUT_ARGS = ("data", "start", "trained", "mask", "weights", "root", "a", "b")


def _model_for(ckpt: Checkpoint) -> torch.nn.Module:
    spec = ModelSpec.from_dict(ckpt.model, "model")
    info = data.dataset_info(ckpt.dataset)
    return models.build(spec, info.input_shape, info.num_classes)


def _load_into(model: torch.nn.Module, weights: dict, where: str) -> None:
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise LthError(f"{where}: weights do not fit the model: {str(exc).splitlines()[0]}") from None


def cmd_data(args) -> None:
    check_writable(args.out)
    meta = data.prepare(args.dataset, args.root, args.out)
    print(json.dumps(meta, sort_keys=True))


def cmd_init(args) -> None:
    spec = ModelSpec.from_dict(args.model, "model")
    info = data.dataset_info(args.dataset)
    model = models.build(spec, info.input_shape, info.num_classes)
    models.initialise(model, spec, args.seed)
    ckpt = Checkpoint(model.state_dict(), masks.full_mask(model), spec.to_dict(), args.dataset)
    ckpt.provenance = _provenance(args, {"init": args.seed})
    checkpoint.save(args.out, ckpt)


def cmd_train(args) -> None:
    from lth.device import configure_runtime, resolve_device
    from lth.training import train

    configure_runtime(args.threads, args.precision)
    device = resolve_device(args.device)
    spec = TrainSpec.from_dict(args.train, "train")
    check_writable(args.out, args.metrics, args.save_out)
    start = checkpoint.load(args.start, "start state")
    data.require_dataset(args.data, start.dataset, f"start state '{args.start}'")
    model = _model_for(start)
    _load_into(model, start.weights, f"start state '{args.start}'")
    model.to(device)
    splits = data.load_splits(args.data, args.validation_size, args.split_seed, device, args.train_fraction)
    save_at = (args.save_at,) if args.save_at is not None else ()
    if args.save_at is not None and not args.save_out:
        raise LthError("--save-at needs --save-out (where to write the weights at that iteration)")
    clamp = _clamp_bounds(model, start, args.clamp)
    result = train(
        model, start.masks, splits, spec, args.order_seed, start_iteration=args.start_iteration, save_at=save_at,
        clamp=clamp,
    )

    base = _provenance(args, {"order": args.order_seed, "split": args.split_seed}, start, device)
    base.update(
        train=spec.to_dict(),
        data=splits.provenance(args.validation_size, args.split_seed, args.train_fraction),
        counts=masks.counts(start.masks),
        sizes={name: m.numel() for name, m in start.masks.items()},
        start_iteration=args.start_iteration,
    )
    if clamp:
        base.update(clamp={"scale": args.clamp, "bounds": clamp})
    if args.save_at is not None:
        saved = Checkpoint(result.saved[args.save_at], start.masks, start.model, start.dataset, {**base, "iteration": args.save_at})
        checkpoint.save(args.save_out, saved)
    write_csv(args.metrics, result.metrics)
    final = Checkpoint(result.weights, start.masks, start.model, start.dataset, {**base, "summary": result.summary})
    checkpoint.save(args.out, final)


def _clamp_bounds(model: torch.nn.Module, start: Checkpoint, scale: float | None) -> dict[str, float]:
    """Per prunable layer, ``scale`` × the standard deviation of its initialiser (none without ``scale``)."""
    if scale is None:
        return {}
    if scale <= 0:
        raise LthError(f"--clamp must be positive, got {scale}")
    spec = ModelSpec.from_dict(start.model, "model")
    params = dict(model.named_parameters())
    return {name: scale * models.init_std(spec, tuple(params[name].shape)) for name in model.prunable_layers()}


def cmd_prune(args) -> None:
    spec = PruneSpec.from_dict(args.prune, "prune")
    trained = checkpoint.load(args.trained, "trained state")
    model = _model_for(trained)
    generator = torch.Generator().manual_seed(args.tie_seed) if args.tie_seed is not None else None
    if args.oneshot_rounds is None:
        new = masks.prune(model, trained.weights, trained.masks, spec, args.round, inverse=args.inverse, generator=generator)
    else:  # one shot from the trained dense network to the sparsity of `oneshot_rounds` iterative rounds
        if spec.strategy == "global" and (args.inverse or generator is not None):
            # the pooled count is split across layers in plain magnitude order (oneshot_counts)
            raise LthError("--oneshot-rounds with global pruning takes neither --inverse nor --tie-seed")
        keep = masks.oneshot_counts(model, spec, args.oneshot_rounds, trained.weights)
        new = masks.prune_to_counts(trained.weights, trained.masks, keep, inverse=args.inverse, generator=generator)
    prov = _provenance(args, {"ties": args.tie_seed} if args.tie_seed is not None else {}, trained)
    prov.update(
        prune=spec.to_dict(), per_round_rate=spec.rate, inverse=args.inverse, counts=masks.counts(new),
        weights_remaining=masks.fraction_remaining(new),
    )
    checkpoint.save(args.out, Checkpoint({}, new, trained.model, trained.dataset, prov))


def _masked_start(
    args, mask_ckpt: Checkpoint, weights: dict, mask: dict, seeds: dict, source: Checkpoint, **extra
) -> None:
    masks.check_compatible(weights, mask, f"mask '{args.mask}'")
    checkpoint.check_same_network(mask_ckpt, f"mask '{args.mask}'", source, f"weights '{args.weights}'")
    prov = _provenance(args, {**mask_ckpt.provenance.get("seeds", {}), **seeds}, source)
    prov.update(counts=masks.counts(mask), weights_remaining=masks.fraction_remaining(mask), **extra)
    checkpoint.save(args.out, Checkpoint(masks.apply(weights, mask), mask, source.model, source.dataset, prov))


def cmd_rewind(args) -> None:
    source = checkpoint.load(args.weights, "rewind weights")
    mask_ckpt = checkpoint.load(args.mask, "mask") if args.mask else source
    _masked_start(args, mask_ckpt, source.weights, mask_ckpt.masks, {}, source)


def cmd_control(args) -> None:
    """reinit: the ticket's mask, fresh weights; shuffle: the ticket's connections, each with its
    own rewind value, moved to random positions of its layer (LTH control 2, `masks.shuffle`);
    random: a random mask with the ticket's per-layer counts over the rewind weights."""
    if args.shuffle_output and args.kind != "shuffle":
        raise LthError(f"--shuffle-output applies to --kind shuffle only, not to --kind {args.kind}")
    mask_ckpt = checkpoint.load(args.mask, "mask")
    source = checkpoint.load(args.weights, "rewind weights")
    g = torch.Generator().manual_seed(args.seed)
    mask, weights, extra = mask_ckpt.masks, source.weights, {}
    if args.kind == "reinit":
        model = _model_for(source)
        models.initialise(model, ModelSpec.from_dict(source.model, "model"), args.seed)
        weights = model.state_dict()
    elif args.kind == "shuffle":
        masks.check_compatible(weights, mask, f"mask '{args.mask}'")
        layers = masks.shuffle_layers(_model_for(source), output=args.shuffle_output)
        mask, weights = masks.shuffle(weights, mask, layers, g)
        extra = {"shuffled_layers": layers}
    else:
        mask = masks.random_mask(mask, g)
    _masked_start(args, mask_ckpt, weights, mask, {args.kind: args.seed}, source, **extra)


def cmd_summarize(args) -> None:
    from lth.summary import collect

    summary, curves = collect(args.trained, args.metrics, parse_mapping(args.columns, "--columns"))
    write_csv(args.out, summary)
    write_csv(args.curves, curves)


def cmd_imp_rewinding(args) -> None:
    from lth.summary import imp_rewinding_table

    write_csv(args.out, imp_rewinding_table(args.trained, args.k))


def cmd_plot(args) -> None:
    import pandas as pd

    from lth.figures import render

    render(pd.read_csv(args.summary), pd.read_csv(args.curves) if args.curves else None, args.outdir, args.title)


def cmd_interpolate(args) -> None:
    from lth.device import configure_runtime, resolve_device
    from lth.instability import alphas, error_along_path

    configure_runtime(args.threads, args.precision)
    device = resolve_device(args.device)
    check_writable(args.out)
    a, b = checkpoint.load(args.a, "network a"), checkpoint.load(args.b, "network b")
    masks.check_compatible(b.weights, a.masks, f"mask of '{args.a}'")
    checkpoint.check_same_network(a, f"network a '{args.a}'", b, f"network b '{args.b}'")
    data.require_dataset(args.data, a.dataset, f"network a '{args.a}'")
    model = _model_for(a).to(device)
    splits = data.load_splits(args.data, args.validation_size, args.split_seed, device, args.train_fraction)
    path = error_along_path(
        model, a.weights, b.weights, a.masks, {"train": splits.train, "test": splits.test}, alphas(args.points)
    )
    path.insert(0, "weights_remaining", masks.fraction_remaining(a.masks))
    for key, value in reversed(parse_mapping(args.provenance, "--provenance").items()):
        if isinstance(value, (str, int, float)):
            path.insert(0, key, value)
    write_csv(args.out, path)


def cmd_instability(args) -> None:
    import pandas as pd

    from lth.instability import instability_table

    paths = pd.concat([pd.read_csv(p) for p in args.paths], ignore_index=True)
    write_csv(args.paths_out, paths)
    write_csv(args.out, instability_table(paths, args.threshold))


def _trial_round(path, ckpt: Checkpoint) -> tuple[int, int]:
    """Where a pipeline output sits, from its sidecar's context."""
    where = ckpt.provenance.get("context", {})
    if "trial" not in where or "round" not in where:
        raise LthError(f"'{path}' has no trial/round in its sidecar's context (was it written by the pipeline?)")
    return where["trial"], where["round"]


def cmd_structure(args) -> None:
    import pandas as pd

    from lth.stability import structure_table

    by_trial: dict[int, list] = {}
    for path in args.trained:
        ckpt = checkpoint.load(path, "trained state")
        trial, round_ = _trial_round(path, ckpt)
        by_trial.setdefault(trial, []).append((round_, ckpt.weights, ckpt.masks))
    tables = []
    for trial, states in sorted(by_trial.items()):
        table = structure_table(states)
        table.insert(0, "trial", trial)
        tables.append(table)
    write_csv(args.out, pd.concat(tables, ignore_index=True))


def cmd_plot_analyses(args) -> None:
    import pandas as pd

    from lth.figures import render_instability, render_structure

    if args.instability:
        paths, imp = (pd.read_csv(path) if path else None for path in (args.instability_paths, args.imp_rewinding))
        render_instability(paths, pd.read_csv(args.instability), imp, args.outdir, args.title, args.threshold)
    if args.structure:
        render_structure(pd.read_csv(args.structure), args.outdir, args.title)


def cmd_anatomy(args) -> None:
    from lth.anatomy import anatomy_tables

    states, layers = [], None
    for path in args.states:
        ckpt = checkpoint.load(path, "start state")
        trial, round_ = _trial_round(path, ckpt)
        layers = layers or list(_model_for(ckpt).prunable_layers())
        states.append((trial, round_, ckpt.weights, ckpt.masks))
    stats, hist, units = anatomy_tables(states, layers, args.bins)
    write_csv(args.out, stats)
    write_csv(args.hist, hist)
    write_csv(args.units, units)


def cmd_plot_anatomy(args) -> None:
    import pandas as pd

    from lth.figures import render_anatomy

    optional = [pd.read_csv(path) if path else None for path in (args.hist, args.units)]
    render_anatomy(pd.read_csv(args.stats), *optional, args.outdir, args.title)


def cmd_sweep(args) -> None:
    import pandas as pd

    from lth.summary import combine_sweep

    members = parse_mapping(args.members, "--members")
    write_csv(args.out, combine_sweep([pd.read_csv(p) for p in args.summaries], args.key, members))


def cmd_plot_sweep(args) -> None:
    import pandas as pd

    from lth.figures import render_sweep

    render_sweep(pd.read_csv(args.sweep), args.outdir, args.title)


def cmd_verify(args) -> None:
    from lth.integrity import verify

    verify(args.paths, sys.stdout)


def cmd_evaluate(args) -> None:
    from lth.device import configure_runtime, resolve_device
    from lth.training import evaluate

    configure_runtime(args.threads, args.precision)
    device = resolve_device(args.device)
    ckpt = checkpoint.load(args.weights, "weights")
    data.require_dataset(args.data, ckpt.dataset, f"weights '{args.weights}'")
    model = _model_for(ckpt)
    _load_into(model, masks.apply(ckpt.weights, ckpt.masks), f"weights '{args.weights}'")
    model.to(device)
    splits = data.load_splits(args.data, args.validation_size, args.split_seed, device, args.train_fraction)
    out = {}
    for name in args.split:
        loss, acc = evaluate(model, getattr(splits, name))
        out[name] = {"loss": loss, "accuracy": acc}
    print(json.dumps(out, sort_keys=True))


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other bad input (exit status 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lth", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    def provenance(p):
        p.add_argument("--provenance", help="YAML/JSON mapping recorded in the output's sidecar (experiment, trial, config slice)")

    def runtime(p):
        p.add_argument(
            "--device", default=os.environ.get("LTH_DEVICE", "auto"),
            help="auto (CUDA when present), cpu, cuda or cuda:N (default: $LTH_DEVICE, else auto)",
        )
        p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
        p.add_argument(
            "--precision", default=os.environ.get("LTH_PRECISION", "fp32"),
            help="fp32 or tf32: float32 matrix products and convolutions on GPUs (default: $LTH_PRECISION, else fp32)",
        )

    def split_args(p):
        p.add_argument(
            "--validation-size", type=int, default=5000,
            help="examples held out of training (0: none, and early stopping is then the last iteration)",
        )
        p.add_argument("--split-seed", type=int, default=0, help="seed choosing the validation examples")
        p.add_argument(
            "--train-fraction", type=float, default=1.0,
            help="train on this stratified fraction of the training examples (default 1: all of them)",
        )

    p = add("data", cmd_data, "read a dataset (downloading when absent) into one tensor file")
    p.add_argument("--dataset", required=True, help=f"one of: {', '.join(sorted(data.DATASETS))}")
    p.add_argument(
        "--root", type=Path, default=os.environ.get("LTH_DATA_ROOT"), required="LTH_DATA_ROOT" not in os.environ,
        help="data folder in torchvision's layout (default: $LTH_DATA_ROOT)",
    )
    p.add_argument("--out", required=True, type=Path)

    p = add("init", cmd_init, "build a model and write its initial weights θ₀ with a full mask")
    p.add_argument("--model", required=True, help="model spec, e.g. '{name: mlp, hidden: [300, 100], init: glorot_normal}'")
    p.add_argument("--dataset", required=True, help="dataset the model is for (input shape, classes)")
    p.add_argument("--seed", required=True, type=int, help="initialisation seed")
    p.add_argument("--out", required=True, type=Path)
    provenance(p)

    p = add("train", cmd_train, "train a masked network; write final weights, metrics CSV and early-stop summary")
    p.add_argument("--data", required=True, type=Path, help="file written by 'lth data'")
    p.add_argument("--start", required=True, type=Path, help="start state (weights and mask)")
    p.add_argument("--train", required=True, help="training spec, e.g. '{optimizer: adam, lr: 1.2e-3, iterations: 5000}'")
    p.add_argument("--order-seed", required=True, type=int, help="data-order seed")
    p.add_argument("--start-iteration", type=int, default=0, help="iteration the start state is at (late rewinding)")
    p.add_argument("--save-at", type=int, help="also write the weights at this iteration (for late rewinding)")
    p.add_argument("--save-out", type=Path, help="where --save-at writes")
    p.add_argument("--metrics", required=True, type=Path, help="tidy CSV: iteration,split,loss,accuracy")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument(
        "--clamp", type=float,
        help="clip each prunable layer's |w| to this many standard deviations of its initialiser after every step",
    )
    split_args(p)
    runtime(p)
    provenance(p)

    p = add("prune", cmd_prune, "magnitude-prune a trained network one round; write the new mask")
    p.add_argument("--trained", required=True, type=Path)
    p.add_argument("--prune", required=True, help="pruning spec, e.g. '{strategy: layerwise, rate: 0.2, output_rate: 0.1}'")
    p.add_argument(
        "--oneshot-rounds", type=int,
        help="prune the (dense) trained network in one shot to the sparsity of this many iterative rounds",
    )
    p.add_argument("--round", type=int, help="the round this mask is for (needed with prune.target_remaining)")
    p.add_argument("--inverse", action="store_true", help="remove the largest magnitudes instead of the smallest")
    p.add_argument("--tie-seed", type=int, help="break ties between equal magnitudes in a random order from this seed")
    p.add_argument("--out", required=True, type=Path)
    provenance(p)

    p = add("rewind", cmd_rewind, "apply a mask to earlier weights (θ₀, or θ_k for late rewinding)")
    p.add_argument("--mask", type=Path, help="mask to apply (default: the weights' own mask)")
    p.add_argument("--weights", required=True, type=Path, help="state to rewind to")
    p.add_argument("--out", required=True, type=Path)
    provenance(p)

    p = add("control", cmd_control, "make a control start state: reinit, shuffle or random")
    p.add_argument("--kind", required=True, choices=["reinit", "shuffle", "random"])
    p.add_argument("--mask", required=True, type=Path, help="the ticket's mask for this round")
    p.add_argument("--weights", required=True, type=Path, help="the ticket's rewind state (θ₀ or θ_k)")
    p.add_argument("--seed", required=True, type=int, help="the control's own seed")
    p.add_argument(
        "--shuffle-output", action="store_true",
        help="shuffle: move the output layer's connections too (default: it keeps the ticket's, as in the paper)",
    )
    p.add_argument("--out", required=True, type=Path)
    provenance(p)

    p = add("summarize", cmd_summarize, "tabulate trained networks: one summary row each, plus all curves")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="training sidecars (trained.json)")
    p.add_argument("--metrics", nargs="+", required=True, type=Path, help="their metrics CSVs, same order")
    p.add_argument("--out", required=True, type=Path, help="summary CSV")
    p.add_argument("--curves", required=True, type=Path, help="CSV of every evaluation of every run")
    p.add_argument("--columns", help="YAML/JSON mapping of settings added as columns to every row (e.g. prune_rate)")

    p = add("imp-rewinding", cmd_imp_rewinding, "test accuracy of the IMP subnetworks rewound to k, against k")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="trained tickets' sidecars (trained.json)")
    p.add_argument("--k", nargs="+", required=True, type=int, help="the iteration each one's IMP run rewinds to, same order")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per trial, round and k")

    p = add("plot", cmd_plot, "render the paper-style figures (PNG and PDF) from the summary tables")
    p.add_argument("--summary", required=True, type=Path)
    p.add_argument("--curves", type=Path, help="every evaluation (written by 'lth summarize'); without it no curves figure")
    p.add_argument("--outdir", required=True, type=Path)
    p.add_argument("--title", default="", help="figure title (experiment and settings)")

    p = add("interpolate", cmd_interpolate, "error and loss along the straight line between two trained networks")
    p.add_argument("--a", required=True, type=Path, help="first trained network (its mask is kept along the path)")
    p.add_argument("--b", required=True, type=Path, help="second trained network (same start, other data order)")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--points", type=int, default=30, help="evenly spaced α in [0, 1] (paper: 30)")
    p.add_argument("--out", required=True, type=Path, help="CSV: [context columns,] alpha, split, loss, error")
    split_args(p)
    runtime(p)
    provenance(p)

    p = add("instability", cmd_instability, "instability (max error on the path minus endpoints' mean) of each path")
    p.add_argument("--paths", nargs="+", required=True, type=Path, help="CSVs written by 'lth interpolate'")
    p.add_argument("--threshold", type=float, default=0.02, help="stable when instability is at most this")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per path and split")
    p.add_argument("--paths-out", required=True, type=Path, help="CSV: all paths together")

    p = add("structure", cmd_structure, "round-to-round Spearman of magnitudes and mask overlaps of the tickets")
    p.add_argument("--trained", nargs="+", required=True, type=Path, help="trained tickets (trial and round from their sidecars)")
    p.add_argument("--out", required=True, type=Path)

    p = add("plot-analyses", cmd_plot_analyses, "render the instability and structure figures")
    p.add_argument("--instability", type=Path, help="table written by 'lth instability'")
    p.add_argument("--instability-paths", type=Path,
                   help="paths written by 'lth instability'; without it no instability_paths figure")
    p.add_argument("--imp-rewinding", type=Path,
                   help="table written by 'lth imp-rewinding'; without it no imp_rewinding_vs_k figure")
    p.add_argument("--threshold", type=float, default=0.02, help="instability below which a network is stable")
    p.add_argument("--structure", type=Path, help="table written by 'lth structure'")
    p.add_argument("--outdir", required=True, type=Path)
    p.add_argument("--title", default="")

    p = add("anatomy", cmd_anatomy, "initial values and per-unit connections of the tickets' surviving weights")
    p.add_argument("--states", nargs="+", required=True, type=Path,
                   help="rewind states (mask ⊙ θ_k) of every round, round 0 included (trial and round from their sidecars)")
    p.add_argument("--bins", type=int, default=50, help="histogram bins per layer")
    p.add_argument("--out", required=True, type=Path, help="CSV: one row per trial, round and layer")
    p.add_argument("--hist", required=True, type=Path, help="CSV: histograms of the surviving initial values")
    p.add_argument("--units", required=True, type=Path, help="CSV: sorted connections per unit")

    p = add("plot-anatomy", cmd_plot_anatomy, "render the anatomy figures")
    p.add_argument("--stats", required=True, type=Path, help="table written by 'lth anatomy --out'")
    p.add_argument("--hist", type=Path, help="histograms of 'lth anatomy'; without it no anatomy_init figure")
    p.add_argument("--units", type=Path, help="per-unit counts of 'lth anatomy'; without it no anatomy_units figure")
    p.add_argument("--outdir", required=True, type=Path)
    p.add_argument("--title", default="")

    p = add("sweep", cmd_sweep, "one table of a sweep's members' summaries, with the varied value")
    p.add_argument("--summaries", nargs="+", required=True, type=Path, help="the members' summary CSVs")
    p.add_argument("--key", required=True, help="the varied setting, e.g. train.lr")
    p.add_argument("--members", required=True, help="YAML/JSON mapping: member experiment -> value label, in sweep order")
    p.add_argument("--out", required=True, type=Path)

    p = add("plot-sweep", cmd_plot_sweep, "render the sweep overlays from the table of 'lth sweep'")
    p.add_argument("--sweep", required=True, type=Path)
    p.add_argument("--outdir", required=True, type=Path)
    p.add_argument("--title", default="")

    p = add("evaluate", cmd_evaluate, "print loss and accuracy of a checkpoint as JSON")
    p.add_argument("--weights", required=True, type=Path)
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--split", nargs="+", default=["test"], choices=["train", "val", "test"])
    split_args(p)
    runtime(p)

    p = add("verify", cmd_verify, "check every file of a results folder (or config files) and name what re-creates the damaged ones")
    p.add_argument("paths", nargs="+", type=Path, help="results folders, and/or YAML/JSON config files")

    from lth.studies.cli import add_parsers  # the studies' subcommands (lth/studies/cli.py)

    add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except LthError as exc:
        report(f"lth {args.command}: error: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
