"""What the subcommands share: argument groups, the runtime and data splits, and the sidecar's
provenance of every state they write."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from lth import checkpoint, data, masks
from lth.checkpoint import Checkpoint
from lth.specs import parse_mapping

# Arguments that name input files; the sidecar records them.
INPUT_ARGS = ("data", "start", "trained", "mask", "weights", "root", "a", "b")


def out(p: argparse.ArgumentParser, help: str = "where the output goes", flag: str = "--out") -> None:
    p.add_argument(flag, required=True, type=Path, help=help)


def title(p: argparse.ArgumentParser) -> None:
    p.add_argument("--title", default="", help="figure title (experiment and settings)")


def provenance_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--provenance", help="YAML/JSON mapping recorded in the output's sidecar (experiment, trial, config slice)"
    )


def study(p: argparse.ArgumentParser, kind: str) -> None:
    p.add_argument("--study", required=True, help=f"the {kind} study's config slice as YAML/JSON")


def runtime(p: argparse.ArgumentParser, device: bool = True) -> None:
    """Where and how torch computes: the device and GPU precision (where it can use a GPU) and CPU threads."""
    if device:
        p.add_argument(
            "--device",
            default=os.environ.get("LTH_DEVICE", "auto"),
            help="auto (CUDA when present), cpu, cuda or cuda:N (default: $LTH_DEVICE, else auto)",
        )
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    if device:
        p.add_argument(
            "--precision",
            default=os.environ.get("LTH_PRECISION", "fp32"),
            help="fp32 or tf32: float32 matrix products and convolutions on GPUs (default: $LTH_PRECISION, else fp32)",
        )


def split(p: argparse.ArgumentParser, fraction: bool = True) -> None:
    """The data split: validation examples held out and (``fraction``) the share of training examples used."""
    p.add_argument(
        "--validation-size",
        type=int,
        default=5000,
        help="examples held out of training (0: none, and early stopping is then the last iteration)",
    )
    p.add_argument("--split-seed", type=int, default=0, help="seed choosing the validation examples")
    if fraction:
        p.add_argument(
            "--train-fraction",
            type=float,
            default=1.0,
            help="train on this stratified fraction of the training examples (default 1: all of them)",
        )


def device(args) -> torch.device:
    """Configure torch as `runtime`'s arguments say and return the device to compute on."""
    from lth.device import configure_runtime, resolve_device

    configure_runtime(args.threads, getattr(args, "precision", "fp32"))
    return resolve_device(getattr(args, "device", "cpu"))


def splits(args, on: torch.device) -> data.Splits:
    """The data file's splits as `split`'s arguments say."""
    return data.load_splits(args.data, args.validation_size, args.split_seed, on, getattr(args, "train_fraction", 1.0))


def provenance(args, own_seeds: dict, inherited: Checkpoint | None = None, on=None) -> dict:
    """Sidecar content: the inputs' seeds plus this step's, the caller's context and the environment."""
    seeds = dict(inherited.provenance.get("seeds", {})) if inherited else {}
    seeds.update(own_seeds)
    return {
        "step": args.command,
        "seeds": seeds,
        "context": parse_mapping(args.provenance, "--provenance"),
        "inputs": {k: str(v) for k, v in vars(args).items() if k in INPUT_ARGS and v is not None},
        "environment": checkpoint.environment(on),
    }


def save_start(
    args, mask_ckpt: Checkpoint, weights: dict, mask: dict, seeds: dict, source: Checkpoint, **extra
) -> None:
    """Write a start state (``mask`` ⊙ ``weights``) made from ``args.mask`` and ``args.weights``."""
    masks.check_compatible(weights, mask, f"mask '{args.mask}'")
    checkpoint.check_same_network(mask_ckpt, f"mask '{args.mask}'", source, f"weights '{args.weights}'")
    prov = provenance(args, {**mask_ckpt.provenance.get("seeds", {}), **seeds}, source)
    prov.update(counts=masks.counts(mask), weights_remaining=masks.fraction_remaining(mask), **extra)
    checkpoint.save(args.out, Checkpoint(masks.apply(weights, mask), mask, source.model, source.dataset, prov))
