"""What winning tickets are made of: their initial values and their wiring, round by round.

Computed from the masks and the rewind state θ_k (θ₀ when ``rewind_iteration`` is 0) that the
IMP pipeline already wrote; nothing is trained. For each trial, round and prunable layer:

* the distribution of the *initial* values of the surviving weights (LTH notes it turns bimodal:
  magnitude pruning after training keeps weights that started large more often than not);
* the number of surviving incoming connections of every output unit of the layer and of outgoing
  connections of every input unit, sorted (units of a convolution are channels);
* how many units are cut off: output units with no incoming connection, input units with no
  outgoing one, and, where one layer feeds the next directly (the MLP's hidden units: the first
  layer's outputs are the second layer's inputs), the hidden units with no incoming *or* no
  outgoing connection, which no longer carry any input-dependent signal ("dead").

"Near zero" counts survivors with |θ| < σ/2, σ the standard deviation of the layer's dense
θ (round 0): 38.3% of a Gaussian. A falling fraction is the bimodal dip forming.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from lth.errors import LthError
from lth.masks import Mask

STATS_COLUMNS = [
    "trial",
    "round",
    "layer",
    "weights",
    "surviving",
    "remaining",
    "init_std",
    "survivor_std",
    "survivor_abs_mean",
    "near_zero_fraction",
    "positive_fraction",
    "out_units",
    "out_units_no_incoming",
    "in_units",
    "in_units_no_outgoing",
    "dead_units",
]
NEAR_ZERO = 0.5  # in units of the dense layer's σ


def incoming(mask: torch.Tensor) -> torch.Tensor:
    """Surviving connections into each output unit (row of a linear weight, output channel of a conv)."""
    return mask.flatten(1).sum(1)


def outgoing(mask: torch.Tensor) -> torch.Tensor:
    """Surviving connections out of each input unit (column of a linear weight, input channel of a conv)."""
    return mask.transpose(0, 1).flatten(1).sum(1)


def _feeds(mask_a: torch.Tensor, mask_b: torch.Tensor) -> bool:
    """Whether layer a's output units are exactly layer b's input units (no flatten in between)."""
    return mask_a.shape[0] == mask_b.shape[1] and mask_a.dim() == mask_b.dim()


def dead_units(masks: Mask, layers: list[str]) -> dict[str, float]:
    """Per layer, its output units with no incoming or (into the next layer) no outgoing connection.

    The last layer's outputs (the classes) count only missing incoming connections. NaN where
    the next layer does not read this layer's units one to one (a conv feeding a linear layer).
    """
    out = {}
    for i, name in enumerate(layers):
        cut = incoming(masks[name]) == 0
        if i + 1 < len(layers):
            following = masks[layers[i + 1]]
            if not _feeds(masks[name], following):
                out[name] = math.nan
                continue
            cut = cut | (outgoing(following) == 0)
        out[name] = int(cut.sum())
    return out


States = list[tuple[int, int, dict[str, torch.Tensor], Mask]]


def _checked(states: States, layers: list[str]) -> dict[int, dict[int, tuple[dict, Mask]]]:
    by_trial: dict[int, dict[int, tuple[dict, Mask]]] = {}
    for trial, round_, weights, masks in states:
        for name in layers:
            if name not in masks or name not in weights or tuple(masks[name].shape) != tuple(weights[name].shape):
                raise LthError(f"anatomy: trial {trial} round {round_} lacks layer '{name}' or its shapes differ")
        if round_ in by_trial.setdefault(trial, {}):
            raise LthError(f"anatomy: trial {trial} round {round_} given twice")
        by_trial[trial][round_] = (weights, masks)
    for trial, rounds in by_trial.items():
        if 0 not in rounds:
            raise LthError(f"anatomy: trial {trial} has no round 0 (the dense θ that sets each layer's scale)")
    return by_trial


def anatomy_tables(
    states: States, layers: list[str], bins: int = 50
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(stats, histograms, unit counts) of the given states.

    ``states`` holds (trial, round, initial weights θ_k, the round's mask); round 0 (all weights)
    is required for every trial. ``layers``: the prunable layers in forward order. Histograms
    share one set of ``bins`` equal bins per layer, symmetric around 0 and spanning the largest
    |θ| of the layer over the trials' dense states, so rounds and trials are comparable.
    """
    if bins < 1:
        raise LthError(f"anatomy: bins must be positive, got {bins}")
    by_trial = _checked(states, layers)
    span = {name: max(float(rounds[0][0][name].abs().max()) for rounds in by_trial.values()) or 1.0 for name in layers}
    stats, hists, units = [], [], []
    for trial, rounds in sorted(by_trial.items()):
        sigma = {name: float(rounds[0][0][name].double().std()) for name in layers}
        for round_, (weights, masks) in sorted(rounds.items()):
            dead = dead_units(masks, layers)
            for name in layers:
                m = masks[name].bool()
                values = weights[name].double()[m].numpy()
                inc, outc = incoming(m), outgoing(m)
                stats.append(
                    (
                        trial,
                        round_,
                        name,
                        m.numel(),
                        len(values),
                        len(values) / m.numel(),
                        sigma[name],
                        float(values.std()) if len(values) else math.nan,
                        float(np.abs(values).mean()) if len(values) else math.nan,
                        float((np.abs(values) < NEAR_ZERO * sigma[name]).mean()) if len(values) else math.nan,
                        float((values > 0).mean()) if len(values) else math.nan,
                        len(inc),
                        int((inc == 0).sum()),
                        len(outc),
                        int((outc == 0).sum()),
                        dead[name],
                    )
                )
                edges = np.linspace(-span[name], span[name], bins + 1)
                counts, _ = np.histogram(np.clip(values, -span[name], span[name]), bins=edges)
                width = edges[1] - edges[0]
                density = counts / (len(values) * width) if len(values) else np.zeros(bins)
                hists += [
                    (trial, round_, name, lo, hi, int(c), float(d))
                    for lo, hi, c, d in zip(edges[:-1], edges[1:], counts, density)
                ]
                for direction, per_unit in (("incoming", inc), ("outgoing", outc)):
                    fan = _fan(m, direction)
                    ranked = torch.sort(per_unit, descending=True).values.tolist()
                    units += [
                        (trial, round_, name, direction, rank, count, count / fan) for rank, count in enumerate(ranked)
                    ]
    return (
        pd.DataFrame(stats, columns=STATS_COLUMNS),
        pd.DataFrame(hists, columns=["trial", "round", "layer", "bin_left", "bin_right", "count", "density"]),
        pd.DataFrame(units, columns=["trial", "round", "layer", "direction", "rank", "connections", "fraction"]),
    )


def _fan(mask: torch.Tensor, direction: str) -> int:
    """Connections a unit has in the dense layer: fan-in of an output unit, fan-out of an input unit."""
    return mask[0].numel() if direction == "incoming" else mask.numel() // mask.shape[1]
