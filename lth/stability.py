"""How stable a ticket's structure is from one pruning round to the next.

Iterative magnitude pruning retrains at every round; if the trained magnitudes were reshuffled
each time, the final mask would owe little to the early rounds and one-shot pruning would find
the same ticket. Two views of this:

* `magnitude_spearman`: rank correlation of |w| of two trained networks over the weights alive in
  *both* (the ticket of round r is trained under mask m_r, so weights outside it are zero by
  construction and would inflate the correlation);
* `mask_overlap`: Jaccard index of two masks and the fraction of the later mask already present in
  the earlier one.

Note: within one IMP trial the masks are nested (pruning never revives a weight), so for masks
of the same trial ``kept_fraction`` is 1 and ``jaccard`` is |m_b|/|m_a|; the overlap measures
become informative when comparing masks across trials, seeds, or one-shot against iterative.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import torch
from scipy import stats

from lth.errors import LthError
from lth.masks import Mask

COLUMNS = ["layer", "round_a", "round_b", "comparison", "spearman", "jaccard", "kept_fraction"]


def _same_layers(a: dict, b: dict, where: str) -> None:
    if set(a) != set(b):
        only = sorted(set(a) ^ set(b))
        raise LthError(f"{where}: layer '{only[0]}' is in only one of the two masks")
    for name in a:
        if tuple(a[name].shape) != tuple(b[name].shape):
            raise LthError(f"{where}: layer '{name}' has shapes {tuple(a[name].shape)} and {tuple(b[name].shape)}")


def mask_overlap(mask_a: Mask, mask_b: Mask) -> dict[str, dict[str, float]]:
    """Per layer: ``jaccard`` = |a∩b|/|a∪b| and ``kept_fraction`` = |a∩b|/|b| (b: the later mask).

    Both are NaN where undefined (an empty union, or an empty b).
    """
    _same_layers(mask_a, mask_b, "mask_overlap")
    out = {}
    for name, a in mask_a.items():
        a, b = a.bool().cpu(), mask_b[name].bool().cpu()
        both, either, in_b = int((a & b).sum()), int((a | b).sum()), int(b.sum())
        out[name] = {
            "jaccard": both / either if either else math.nan,
            "kept_fraction": both / in_b if in_b else math.nan,
        }
    return out


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho; exactly 1.0 when the rankings are identical (scipy can return 1 - 1e-16)."""
    if np.array_equal(stats.rankdata(x), stats.rankdata(y)):
        return 1.0 if len(np.unique(x)) > 1 else math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)  # constant input: rho undefined -> NaN
        return float(stats.spearmanr(x, y).statistic)


def magnitude_spearman(
    weights_a: dict[str, torch.Tensor], weights_b: dict[str, torch.Tensor], mask_a: Mask, mask_b: Mask
) -> dict[str, float]:
    """Per layer, Spearman's rho between |w_a| and |w_b| over the weights alive in both masks.

    NaN when fewer than 3 weights survive in both (or the magnitudes are constant).
    """
    _same_layers(mask_a, mask_b, "magnitude_spearman")
    out = {}
    for name, a in mask_a.items():
        for weights in (weights_a, weights_b):
            if name not in weights or tuple(weights[name].shape) != tuple(a.shape):
                raise LthError(f"magnitude_spearman: layer '{name}' is missing from the weights or has the wrong shape")
        both = (a.bool() & mask_b[name].bool()).cpu()
        if int(both.sum()) < 3:
            out[name] = math.nan
            continue
        x = weights_a[name].detach().cpu().double().abs()[both].numpy()
        y = weights_b[name].detach().cpu().double().abs()[both].numpy()
        out[name] = _spearman(x, y)
    return out


def structure_table(states: list[tuple[int, dict[str, torch.Tensor], Mask]]) -> pd.DataFrame:
    """Tidy comparison of trained networks of successive rounds: one row per layer and pair.

    ``states`` holds (round, trained weights, the mask the network was *trained* under), in any
    order. Pairs, over the rounds sorted r_0 < r_1 < ... < r_n:

    * ``consecutive``: (r_i, r_i+1) for every i;
    * ``final``: (r_i, r_n) for every i < n.

    The last consecutive pair (r_n-1, r_n) is also the last final pair and appears under both
    labels (same numbers), so each family is complete on its own and can be plotted without the
    other. Fewer than two states give an empty frame with the columns.
    """
    states = sorted(states, key=lambda s: s[0])
    rounds = [s[0] for s in states]
    if len(set(rounds)) != len(rounds):
        raise LthError(f"structure_table: a round appears twice in {rounds}")
    pairs = [(i, i + 1, "consecutive") for i in range(len(states) - 1)]
    pairs += [(i, len(states) - 1, "final") for i in range(len(states) - 1)]
    rows = []
    for i, j, comparison in pairs:
        (ra, wa, ma), (rb, wb, mb) = states[i], states[j]
        rho = magnitude_spearman(wa, wb, ma, mb)
        overlap = mask_overlap(ma, mb)
        for layer in ma:
            rows.append(
                (layer, ra, rb, comparison, rho[layer], overlap[layer]["jaccard"], overlap[layer]["kept_fraction"])
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def structure_by_trial(states: list[tuple[int, int, dict[str, torch.Tensor], Mask]]) -> pd.DataFrame:
    """`structure_table` of each trial's tickets, with a ``trial`` column, trials in order.

    ``states`` holds (trial, round, trained weights, the mask it was trained under) in any order."""
    by_trial: dict[int, list] = {}
    for trial, round_, weights, mask in states:
        by_trial.setdefault(trial, []).append((round_, weights, mask))
    tables = []
    for trial, trial_states in sorted(by_trial.items()):
        table = structure_table(trial_states)
        table.insert(0, "trial", trial)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)
