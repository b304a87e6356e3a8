"""The small-network ticket study (e.g. MLP 784-8-4-10 on Fashion-MNIST).

Given an IMP experiment (its dense round 0 and its ticket rounds), this module computes:

- weight statistics of the trained dense network (count, mean, std, min, max and the percent of
  weights with |w| below small thresholds), per layer and over all prunable weights;
- **pruning without retraining**: for each percentile p the k = round(p·n/100) weights of
  smallest |w| (pooled over all prunable layers, the library's global magnitude pruning, ties to
  the lower index) are zeroed and the network is evaluated as it is. The sparsity is therefore
  exactly k/n; ``threshold`` is the smallest surviving |w|, so the zeroed weights are those
  below it (exactly so when magnitudes are distinct);
- **the ticket**: the smallest IMP ticket that still reaches an accuracy criterion (`find_ticket`);
- a per-trial summary with log10 C(n, k), the number of subnetworks of the ticket's size.
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from lth import masks
from lth.combinatorics import log10_comb
from lth.data import Split
from lth.errors import LthError
from lth.training import evaluate


def weight_stats(weights: dict[str, torch.Tensor], layers: list[str], small: tuple[float, ...]) -> pd.DataFrame:
    """One row per layer and one for all of ``layers`` pooled (``layer`` = 'all').

    ``std`` is the sample standard deviation; ``pct_below_<t>`` the percent of weights with |w| < t.
    """
    rows = []
    groups = [(name, weights[name].detach().double().flatten()) for name in layers]
    groups.append(("all", torch.cat([w for _, w in groups])))
    for name, w in groups:
        row = {
            "layer": name,
            "count": w.numel(),
            "mean": w.mean().item(),
            "std": w.std().item() if w.numel() > 1 else 0.0,
            "min": w.min().item(),
            "max": w.max().item(),
        }
        for t in small:
            row[f"pct_below_{t:g}"] = 100.0 * (w.abs() < t).sum().item() / w.numel()
        rows.append(row)
    return pd.DataFrame(rows)


def percentile_masks(
    weights: dict[str, torch.Tensor], mask: masks.Mask, percentiles
) -> list[tuple[float, float, masks.Mask]]:
    """(percentile, threshold, mask) for each percentile: the round(p·n/100) smallest |w| pruned.

    ``mask`` is the network's own (all ones for a dense net); pruning is pooled over its layers.
    """
    out = []
    for p in percentiles:
        pruned = masks.prune_global(weights, mask, p / 100.0)
        kept = torch.cat([weights[name].detach().abs().flatten()[pruned[name].flatten()] for name in pruned])
        out.append((float(p), kept.min().item() if kept.numel() else math.inf, pruned))
    return out


def no_retraining_table(
    model: torch.nn.Module,
    weights: dict[str, torch.Tensor],
    mask: masks.Mask,
    test: Split,
    percentiles,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Test loss and accuracy of the trained network with each percentile's weights zeroed, no retraining."""
    n = sum(m.numel() for m in mask.values())
    rows = []
    for p, threshold, pruned in percentile_masks(weights, mask, percentiles):
        model.load_state_dict(masks.apply(weights, pruned))
        loss, accuracy = evaluate(model, test, batch_size)
        kept = sum(masks.counts(pruned).values())
        rows.append(
            {
                "percentile": p,
                "threshold": threshold,
                "sparsity": 1 - kept / n,
                "params_kept": kept,
                "test_loss": loss,
                "test_accuracy": accuracy,
            }
        )
    model.load_state_dict(weights)
    return pd.DataFrame(rows)


def find_ticket(summary: pd.DataFrame, criterion: float, metric: str) -> pd.DataFrame:
    """The ticket of each trial: the smallest IMP ticket that still reaches ``criterion``.

    IMP is followed round by round as it would run: it stops at the first round whose ticket
    misses the criterion, and the ticket is the round before (``stopped_by`` = 'criterion'). If
    every round reaches it, the ticket is the last round and more rounds might find a smaller
    one (``stopped_by`` = 'budget'). A later round that happens to pass again after a miss is
    not used. ``summary`` is an experiment's summary table (rows of variant 'ticket').
    """
    tickets = summary[summary["variant"] == "ticket"]
    if tickets.empty:
        raise LthError("find_ticket: the summary has no 'ticket' rows")
    if metric not in tickets.columns:
        raise LthError(f"find_ticket: the summary has no column '{metric}'")
    rows = []
    for trial, group in tickets.groupby("trial", sort=True):
        group = group.sort_values("round")
        rounds = group["round"].tolist()
        if rounds != list(range(len(rounds))):
            raise LthError(f"find_ticket: trial {trial} has rounds {rounds}, expected 0, 1, 2, ... without gaps")
        passed = (group[metric] >= criterion).tolist()
        if not passed[0]:
            raise LthError(
                f"trial {trial}: the dense network's {metric} {group[metric].iloc[0]:.4f} is below the criterion "
                f"{criterion:g}, so no ticket reaches it (lower the study's criterion)"
            )
        failed = passed.index(False) if False in passed else None
        chosen = group.iloc[(failed if failed is not None else len(passed)) - 1]
        rows.append(
            {
                "trial": int(trial),
                "round": int(chosen["round"]),
                "weights_remaining": float(chosen["weights_remaining"]),
                "accuracy": float(chosen[metric]),
                "dense_accuracy": float(group[metric].iloc[0]),
                "stopped_by": "criterion" if failed is not None else "budget",
                "next_accuracy": float(group[metric].iloc[failed]) if failed is not None else math.nan,
                "criterion": criterion,
                "metric": metric,
            }
        )
    return pd.DataFrame(rows)


def study_summary(tickets: pd.DataFrame, sizes: dict[int, tuple[int, int]], new_init: pd.DataFrame) -> pd.DataFrame:
    """One row per trial: the ticket (size k of n, sparsity, accuracy, rounds), log10 C(n, k), and
    the same mask trained from a new init (``new_init``: trial plus its accuracy columns)."""
    rows = []
    for ticket in tickets.to_dict("records"):
        n, k = sizes[ticket["trial"]]
        rows.append(
            {
                "trial": ticket["trial"],
                "dense_weights": n,
                "dense_accuracy": ticket["dense_accuracy"],
                "criterion": ticket["criterion"],
                "metric": ticket["metric"],
                "ticket_round": ticket["round"],
                "ticket_weights": k,
                "ticket_sparsity": 1 - k / n,
                "ticket_accuracy": ticket["accuracy"],
                "stopped_by": ticket["stopped_by"],
                "log10_subnetworks_of_ticket_size": log10_comb(n, k),
            }
        )
    return pd.DataFrame(rows).merge(new_init, on="trial", how="left")


def _accuracy_at(metrics: pd.DataFrame, iteration: int) -> float:
    """Test accuracy at the last evaluation at or before ``iteration``."""
    test = metrics[(metrics["split"] == "test") & (metrics["iteration"] <= iteration)]
    return float(test.sort_values("iteration")["accuracy"].iloc[-1])


def ticket_summary(
    tickets: pd.DataFrame,
    ticket_masks: list[masks.Mask],
    new_init: list[dict],
    new_init_metrics: list[pd.DataFrame],
    budget: int,
    metric: str,
) -> pd.DataFrame:
    """`study_summary` from the per-trial tickets (rows of `find_ticket`), their masks, and the
    training sidecars and metrics of their new-init runs, all in trial order; ``budget`` is the
    ticket's training budget, at which the new init's accuracy is also read."""
    if not len(ticket_masks) == len(new_init) == len(new_init_metrics) == len(tickets):
        raise LthError("--masks, --new-init and --new-init-metrics need one path per trial (in trial order)")
    sizes, rows = {}, []
    for trial, mask, record, metrics in zip(tickets["trial"], ticket_masks, new_init, new_init_metrics):
        sizes[trial] = (sum(m.numel() for m in mask.values()), sum(masks.counts(mask).values()))
        rows.append(
            {
                "trial": trial,
                "new_init_iterations": record["train"]["iterations"],
                "new_init_accuracy": record["summary"][metric],
                "new_init_accuracy_at_ticket_budget": _accuracy_at(metrics, budget),
                "new_init_max_accuracy": record["summary"]["max_test_accuracy"],
                "seed_new_init": record["seeds"].get("reinit"),
            }
        )
    return study_summary(tickets, sizes, pd.DataFrame(rows))
