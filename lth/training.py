"""Masked training with periodic evaluation and the early-stop iteration.

Speed comes from keeping every split as one tensor on the device: a batch is an index into it,
drawn from a per-epoch permutation seeded by (data-order seed, epoch), so the order is
reproducible and iteration k of a run can be reached without replaying earlier epochs (late
rewinding continues the same order, and the same augmentation, from k). Dropout does not continue:
a run that starts at k draws its dropout masks from a stream seeded by (data-order seed, k), so
every round that rewinds to k shares one stream, which is not round 0's from k on. Evaluation
runs in large batches.

Faithfulness: the mask is applied before the first step and re-applied after *every* optimiser
step, so pruned weights are exactly zero at all times (masking only the forward pass, or masking
gradients, lets momentum and weight decay revive them).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from lth.augment import crop_flip, draws
from lth.data import Split, Splits
from lth.errors import LthError
from lth.masks import Mask, check_compatible
from lth.seeds import derive_seed

log = logging.getLogger("lth.train")


# The evaluation batch when none is given, by device: large on a GPU (fewer, fuller kernels), 1,000
# on the CPU, where a conv net's activations for 10,000 CIFAR images took 8.5 GB of memory
# (Conv-2, bench/job_resources.py) against 1.6 GB for 1,000.
EVAL_BATCH = {"cuda": 10000, "cpu": 1000}


@torch.inference_mode()
def evaluate(model: nn.Module, split: Split, batch_size: int | None = None) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a whole split, in batches of ``batch_size`` (default
    by device, `EVAL_BATCH`). The batch size changes no prediction; the summed loss can differ in
    the last bits of float32 between batch sizes."""
    if len(split) == 0:
        return math.nan, math.nan
    batch_size = batch_size or EVAL_BATCH.get(split.x.device.type, EVAL_BATCH["cpu"])
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=split.y.device, dtype=torch.float64)
    correct = torch.zeros((), device=split.y.device, dtype=torch.int64)
    for start in range(0, len(split), batch_size):
        x, y = split.x[start : start + batch_size], split.y[start : start + batch_size]
        logits = model(x)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").double()
        correct += (logits.argmax(1) == y).sum()
    model.train(was_training)
    n = len(split)
    return loss_sum.item() / n, correct.item() / n


def early_stop(metrics: pd.DataFrame) -> dict:
    """Early-stop summary: the iteration of minimum validation loss (first on ties) and test metrics there."""
    by_split = {
        split: frame.set_index("iteration").sort_index(kind="stable") for split, frame in metrics.groupby("split")
    }
    test = by_split["test"]
    val = by_split.get("val")
    if val is None or val["loss"].isna().all():
        iteration = int(test.index.max())
        val_loss = math.nan
    else:
        iteration = int(val["loss"].idxmin())
        val_loss = float(val.loc[iteration, "loss"])
    return {
        "early_stop_iteration": iteration,
        "early_stop_val_loss": val_loss,
        "early_stop_test_loss": float(test.loc[iteration, "loss"]),
        "early_stop_test_accuracy": float(test.loc[iteration, "accuracy"]),
        "final_test_accuracy": float(test.loc[test.index.max(), "accuracy"]),
        "max_test_accuracy": float(test["accuracy"].max()),
    }


def make_optimizer(spec, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    """Adam or SGD with momentum, with the fused kernels (one kernel per step for all tensors): on
    the 2-core CPU they made an Adam epoch of LeNet-300-100 about 20% faster than the per-tensor loop
    and were never slower for SGD (bench/train_speed.py); on GPUs they are PyTorch's fastest path."""
    if spec.optimizer == "adam":
        return torch.optim.Adam(params, lr=spec.lr, weight_decay=spec.weight_decay, fused=True)
    return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay, fused=True)


def epoch_permutation(n: int, order_seed: int, epoch: int, device: torch.device) -> torch.Tensor:
    """The data order of one epoch; depends only on (seed, epoch), so any iteration can be reached directly."""
    g = torch.Generator().manual_seed(derive_seed(order_seed, "epoch", epoch))
    return torch.randperm(n, generator=g).to(device)


@dataclass
class TrainResult:
    metrics: pd.DataFrame  # tidy: iteration, split, loss, accuracy
    weights: dict[str, torch.Tensor]  # final state (CPU)
    saved: dict[int, dict[str, torch.Tensor]]  # iteration -> state (CPU), for late rewinding
    summary: dict  # early_stop(...) plus timing


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def train(
    model: nn.Module,
    mask: Mask,
    splits: Splits,
    spec,
    order_seed: int,
    *,
    start_iteration: int = 0,
    save_at: tuple[int, ...] = (),
    clamp: dict[str, float] | None = None,
) -> TrainResult:
    """Train ``model`` (already on the splits' device) from ``start_iteration`` to ``spec.iterations``.

    Evaluates validation and test loss/accuracy at ``start_iteration``, every ``spec.eval_every``
    iterations and at the end. ``save_at`` lists iterations whose weights are returned in
    ``saved`` (iteration 0 is the start state when ``start_iteration`` is 0).

    ``clamp`` (parameter name -> bound) clips those parameters to [-bound, bound] before the
    first step and after every optimiser step, after the mask (magnitude-clamped training: the
    trained magnitudes then carry little information for pruning).
    """
    device = splits.train.x.device
    params = dict(model.named_parameters())
    check_compatible(params, mask)
    masked_params = [params[name] for name in mask]
    mask_values = [m.to(device=device, dtype=params[name].dtype) for name, m in mask.items()]
    n_train, batch = len(splits.train), spec.batch_size
    if batch > n_train:
        raise LthError(f"train.batch_size {batch} is larger than the {n_train} training examples")
    if not 0 <= start_iteration <= spec.iterations:
        raise LthError(f"start iteration {start_iteration} is outside the budget of {spec.iterations} iterations")
    outside = [k for k in save_at if not start_iteration <= k <= spec.iterations]
    if outside:
        raise LthError(
            f"save_at iteration {outside[0]} is outside this run's iterations {start_iteration}..{spec.iterations}"
        )
    if spec.augment and len(splits.info.input_shape) != 3:
        raise LthError(
            f"train.augment: random crops and flips need image data, {splits.info.name} has input shape {splits.info.input_shape}"
        )
    black = splits.info.black(device) if spec.augment else None  # augmentation's padding
    steps_per_epoch = n_train // batch  # the last incomplete batch of an epoch is dropped
    optimizer = make_optimizer(spec, list(params.values()))
    scheduled = bool(spec.warmup or spec.milestones)

    unknown = sorted(set(clamp or {}) - set(params))
    if unknown:
        raise LthError(f"clamp: '{unknown[0]}' is not a parameter of the model")
    clamped = [(params[name], bound) for name, bound in (clamp or {}).items()]

    def apply_mask() -> None:
        if masked_params:
            with torch.no_grad():
                torch._foreach_mul_(masked_params, mask_values)  # one call for all layers, same products
        if clamped:
            with torch.no_grad():
                for param, bound in clamped:
                    param.clamp_(-bound, bound)

    apply_mask()

    rows: list[tuple[int, str, float, float]] = []
    saved: dict[int, dict[str, torch.Tensor]] = {}

    def checkpoint_hooks(iteration: int) -> None:
        if iteration in save_at:
            saved[iteration] = _state(model)
        if iteration % spec.eval_every == 0 or iteration in (start_iteration, spec.iterations):
            for name, split in (("val", splits.val), ("test", splits.test)):
                loss, acc = evaluate(model, split, spec.eval_batch_size)
                rows.append((iteration, name, loss, acc))
            log.info(
                "iteration %d/%d  val loss %.4f acc %.4f  test acc %.4f",
                iteration,
                spec.iterations,
                rows[-2][2],
                rows[-2][3],
                rows[-1][3],
            )

    train_x, train_y = splits.train.x, splits.train.y
    started = time.perf_counter()
    model.train()
    checkpoint_hooks(start_iteration)
    epoch, order = -1, None
    # Dropout draws from torch's global generator: seed it for this run (from the data-order seed
    # and the start iteration) inside a fork, so the caller's random state is left untouched. The
    # stream restarts at the start iteration: a run from k does not replay round 0's draws at k.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(derive_seed(order_seed, "dropout", start_iteration))
        for iteration in range(start_iteration, spec.iterations):
            if iteration // steps_per_epoch != epoch:
                epoch = iteration // steps_per_epoch
                order = epoch_permutation(n_train, order_seed, epoch, device)
                if spec.augment:  # this epoch's offsets and flips from here on, in one copy
                    first = iteration
                    last = min((epoch + 1) * steps_per_epoch, spec.iterations)
                    seeds = [derive_seed(order_seed, "augment", i) for i in range(first, last)]
                    offsets, flips = draws(seeds, batch, device)
            offset = (iteration % steps_per_epoch) * batch
            idx = order[offset : offset + batch]
            if scheduled:
                for group in optimizer.param_groups:
                    group["lr"] = spec.lr_at(iteration)
            # index_select: the same gather as x[idx] without advanced indexing's per-call overhead
            x = train_x.index_select(0, idx)
            if spec.augment:
                x = crop_flip(x, offsets[iteration - first], flips[iteration - first], black)
            loss = F.cross_entropy(model(x), train_y.index_select(0, idx))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            apply_mask()
            checkpoint_hooks(iteration + 1)
    seconds = time.perf_counter() - started

    metrics = pd.DataFrame(rows, columns=["iteration", "split", "loss", "accuracy"])
    summary = early_stop(metrics)
    summary["train_seconds"] = round(seconds, 3)
    return TrainResult(metrics=metrics, weights=_state(model), saved=saved, summary=summary)
