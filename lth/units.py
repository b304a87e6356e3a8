"""Unit (neuron) pruning: remove whole hidden units, scored from their weights.

The first LTH paper (Frankle & Carbin 2018, arXiv v1, section 2) pruned hidden units of small
XOR networks with three heuristics, all computed from the *trained* weights:

- ``input``: the L1 norm of the unit's incoming weights, sum_i |W_in[j, i]|;
- ``output``: the L1 norm of its outgoing weights, sum_o |W_out[o, j]|;
- ``product``: the product of the two.

Biases do not enter the scores. A pruned unit is removed entirely: its incoming weights, its
bias and its outgoing weights are zero (see `unit_weight_masks`), so it contributes nothing and,
with the masks re-applied after every optimiser step, stays removed.

Every function works on stacked networks: leading dimensions are independent networks (the
XOR study trains a thousand of them as one batch), the last dimensions are the layer's.
"""

from __future__ import annotations

import torch

from lth.errors import LthError
from lth.specs import UNIT_HEURISTICS


def unit_scores(w_in: torch.Tensor, w_out: torch.Tensor, heuristic: str) -> torch.Tensor:
    """Score of every hidden unit: ``w_in`` is (..., units, inputs), ``w_out`` (..., outputs, units).

    Returns (..., units) float64 scores; larger means more important.
    """
    if heuristic not in UNIT_HEURISTICS:
        raise LthError(f"unknown unit-pruning heuristic '{heuristic}' (allowed: {', '.join(UNIT_HEURISTICS)})")
    if w_in.shape[-2] != w_out.shape[-1] or w_in.shape[:-2] != w_out.shape[:-2]:
        raise LthError(
            f"unit_scores: incoming weights {tuple(w_in.shape)} and outgoing {tuple(w_out.shape)} do not share units"
        )
    incoming = w_in.detach().double().abs().sum(-1)
    outgoing = w_out.detach().double().abs().sum(-2)
    return {"input": incoming, "output": outgoing, "product": incoming * outgoing}[heuristic]


def keep_units(scores: torch.Tensor, alive: torch.Tensor, keep: int) -> torch.Tensor:
    """Bool (..., units): the ``keep`` highest-scoring units among those ``alive``.

    Removed units are never revived; among equal scores the lower unit index is kept, so the
    result is deterministic.
    """
    alive = alive.to(torch.bool)
    have = alive.sum(-1)
    if bool((have < keep).any()) or keep < 0:
        raise LthError(f"keep_units: cannot keep {keep} units, only {int(have.min())} are alive")
    ranked = torch.where(alive, scores.double(), torch.full_like(scores, -torch.inf, dtype=torch.float64))
    order = torch.argsort(ranked, dim=-1, descending=True, stable=True)
    kept = torch.zeros_like(alive)
    kept.scatter_(-1, order[..., :keep], True)
    return kept


def unit_weight_masks(units: torch.Tensor, n_inputs: int, n_outputs: int) -> dict[str, torch.Tensor]:
    """Masks of a hidden layer's parameters from a (..., units) bool mask of surviving units.

    ``in``: (..., units, n_inputs), ``bias``: (..., units), ``out``: (..., n_outputs, units);
    a removed unit's row of ``in``, its ``bias`` and its column of ``out`` are all False.
    """
    units = units.to(torch.bool)
    return {
        "in": units.unsqueeze(-1).expand(*units.shape, n_inputs),
        "bias": units,
        "out": units.unsqueeze(-2).expand(*units.shape[:-1], n_outputs, units.shape[-1]),
    }
