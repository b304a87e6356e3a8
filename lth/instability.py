"""Linear interpolation instability (Frankle, Dziugaite, Roy & Carbin, ICML 2020).

Two copies of a network that start from the same weights (θ₀, or the rewound θ_k) and train
under the same mask with different SGD noise (data order) end at θ_a and θ_b. The network is
*stable* when the error does not rise along the straight line between them: instability is the
maximum error on the path minus the mean of the two endpoints' errors, and the paper calls a
network stable when it is within 2 percentage points (0.02) of zero. Tickets that match the
dense network's accuracy turn out to be exactly the stable ones, which is why rewinding to an
early iteration k > 0 works at scale where rewinding to 0 does not.

Faithfulness details:

* every interpolated network keeps the mask (the endpoints share it, and `lth.masks.apply` is
  applied anyway, so pruned weights are exactly zero at every α);
* α = 0 and α = 1 reproduce the endpoints bit for bit ((1-α)·a + α·b is exact there), so the
  path's ends are the two trained networks themselves, evaluated as trained, with their own
  batch-norm running statistics: the paper's instability subtracts the mean error of the two
  trained networks;
* batch-norm: the running statistics of a mixture of two networks are *not* the mixture of their
  running statistics, so for models with BatchNorm they are recomputed on training data
  (`recompute_batchnorm`) at every interior α (0 < α < 1) before evaluating. The endpoints keep
  theirs (above); the MLPs here have no BatchNorm.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
from torch import nn

from lth.data import Split
from lth.errors import LthError
from lth.masks import Mask, apply
from lth.training import evaluate

PAPER_POINTS = 30  # the paper evaluates 30 evenly spaced points on the path
STABLE_THRESHOLD = 0.02  # "stable": instability within 2 percentage points of error


def alphas(n: int = PAPER_POINTS) -> list[float]:
    """``n`` evenly spaced interpolation coefficients in [0, 1], both ends included (exactly 0.0 and 1.0)."""
    if n < 2:
        raise LthError(f"alphas: need at least 2 points (the two endpoints), got {n}")
    return [float(a) for a in np.linspace(0.0, 1.0, n)]


def interpolate(
    weights_a: dict[str, torch.Tensor], weights_b: dict[str, torch.Tensor], alpha: float
) -> dict[str, torch.Tensor]:
    """(1-α)·a + α·b for every float tensor; non-float buffers (e.g. BatchNorm's num_batches_tracked) from a."""
    if set(weights_a) != set(weights_b):
        only = sorted(set(weights_a) ^ set(weights_b))
        raise LthError(f"interpolate: the two networks differ in tensor '{only[0]}' (present in only one)")
    out = {}
    for name, a in weights_a.items():
        b = weights_b[name]
        if a.shape != b.shape:
            raise LthError(
                f"interpolate: '{name}' has shape {tuple(a.shape)} in one network and {tuple(b.shape)} in the other"
            )
        if torch.is_floating_point(a):
            out[name] = (1.0 - alpha) * a + alpha * b.to(a.device, a.dtype)
        else:
            out[name] = a.clone()
    return out


def batchnorm_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """BatchNorm modules that keep running statistics (the only ones whose statistics go stale)."""
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]


@torch.no_grad()
def recompute_batchnorm(model: nn.Module, split: Split, batches: int = 30, batch_size: int = 128, seed: int = 0) -> int:
    """Reset and recompute every BatchNorm layer's running statistics on ``split`` (training data).

    Why: an interpolated network's activations have statistics of their own; evaluating it with
    the endpoints' (or their average's) running statistics measures the stale statistics, not
    the path. The statistics are reset and then accumulated as a cumulative (equal-weight)
    average over ``batches`` forward passes in train mode, on a seeded random sample of ``split``
    (the whole split in one batch when it is smaller than ``batch_size``). Momentum and
    train/eval mode are restored afterwards.

    The cumulative average is batch i's momentum set to 1/(i+1): the very factor torch computes
    for ``momentum=None`` (from ``num_batches_tracked``, reading it back from the device, a GPU
    sync per layer per batch), so the statistics are the same bits without the syncs.

    Returns the number of BatchNorm layers recomputed; a model without BatchNorm (the MLPs) is
    left untouched and 0 is returned.
    """
    layers = batchnorm_layers(model)
    if not layers or len(split) == 0:
        return 0
    was_training, momenta = model.training, [m.momentum for m in layers]
    for m in layers:
        m.reset_running_stats()
    size = min(batch_size, len(split))
    g = torch.Generator().manual_seed(seed)
    order = torch.cat([torch.randperm(len(split), generator=g) for _ in range(math.ceil(batches * size / len(split)))])
    order = order.to(split.x.device)
    model.train()
    try:
        for i in range(batches):
            for m in layers:
                m.momentum = 1.0 / (i + 1)
            model(split.x[order[i * size : (i + 1) * size]])
    finally:
        for m, momentum in zip(layers, momenta):
            m.momentum = momentum
        model.train(was_training)
    return len(layers)


def error_along_path(
    model: nn.Module,
    weights_a: dict[str, torch.Tensor],
    weights_b: dict[str, torch.Tensor],
    mask: Mask,
    splits_by_name: dict[str, Split],
    alphas: list[float],
    *,
    batch_size: int | None = None,
    bn_split: Split | None = None,
    bn_batches: int = 30,
    bn_batch_size: int = 128,
) -> pd.DataFrame:
    """Loss and error (1 - accuracy) of the masked network (1-α)·a + α·b at each α, on each split.

    ``weights_a``/``weights_b`` are full state dicts of ``model``. Returns a tidy frame with
    columns ``alpha, split, loss, error``. If the model has BatchNorm, its statistics are
    recomputed at every interior α (0 < α < 1) with `recompute_batchnorm` on ``bn_split``
    (default: ``splits_by_name['train']``; an error if neither is given); at α = 0 and 1 the
    trained networks are evaluated with their own statistics. The model's own state and
    train/eval mode are restored afterwards.
    """
    has_bn = bool(batchnorm_layers(model))
    if has_bn:
        bn_split = bn_split if bn_split is not None else splits_by_name.get("train")
        if bn_split is None:
            raise LthError(
                "error_along_path: the model has BatchNorm; pass bn_split or a 'train' split to recompute its statistics"
            )
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    was_training = model.training
    rows = []
    try:
        for alpha in alphas:
            model.load_state_dict(apply(interpolate(weights_a, weights_b, alpha), mask))
            if has_bn and 0.0 < alpha < 1.0:
                recompute_batchnorm(model, bn_split, bn_batches, bn_batch_size)
            for name, split in splits_by_name.items():
                loss, accuracy = evaluate(model, split, batch_size)
                rows.append((float(alpha), name, loss, 1.0 - accuracy))
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
    return pd.DataFrame(rows, columns=["alpha", "split", "loss", "error"])


def instability(frame: pd.DataFrame, split: str, metric: str = "error") -> float:
    """Max of ``metric`` along the path minus the mean of its values at α = 0 and α = 1, on ``split``.

    0 for a path that never rises above its endpoints' mean (e.g. two identical networks); the
    paper's measure uses ``metric='error'``.
    """
    rows = frame[frame["split"] == split]
    if rows.empty:
        raise LthError(f"instability: no rows for split '{split}' (have: {', '.join(sorted(frame['split'].unique()))})")
    ends = []
    for alpha in (0.0, 1.0):
        at = rows.loc[rows["alpha"] == alpha, metric]
        if at.empty:
            raise LthError(
                f"instability: split '{split}' has no row at alpha {alpha} (the path must include both endpoints)"
            )
        ends.append(float(at.iloc[0]))
    return float(rows[metric].max()) - 0.5 * (ends[0] + ends[1])


def is_stable(value: float, threshold: float = STABLE_THRESHOLD) -> bool:
    """Stable when instability is at most ``threshold`` (paper: 2% error); NaN is not stable."""
    return bool(value <= threshold)


PATH_KEYS = ["experiment", "trial", "round", "k", "weights_remaining"]


def instability_table(paths: pd.DataFrame, threshold: float = STABLE_THRESHOLD) -> pd.DataFrame:
    """One row per path and split: instability, the endpoints' mean error, the path's maximum, stable or not.

    ``paths`` holds many paths (as written by ``lth interpolate``), told apart by whichever of
    ``PATH_KEYS`` it has as columns.
    """
    keys = [k for k in PATH_KEYS if k in paths.columns]
    rows = []
    for group, frame in paths.groupby(keys + ["split"], sort=True):
        group = dict(zip(keys + ["split"], group))
        value = instability(frame, group["split"])
        ends = frame.loc[frame["alpha"].isin([0.0, 1.0]), "error"]
        rows.append(
            {
                **group,
                "instability": value,
                "endpoint_error": float(ends.mean()),
                "max_error": float(frame["error"].max()),
                "stable": is_stable(value, threshold),
            }
        )
    return pd.DataFrame(rows)
