"""Figures of the studies (PNG and PDF, atomically, like `lth.figures`)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from lth.figures import _percent_axis, _save, plt
from lth.variants import STYLE


def weight_histogram(weights: dict[int, pd.Series], stats: pd.DataFrame, title: str):
    """Histogram of the trained dense network's weights (all prunable layers), one line per trial."""
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    for trial, w in sorted(weights.items()):
        ax.hist(w, bins=120, histtype="step", linewidth=1.0, label=f"trial {trial}")
    ax.set_yscale("log")
    ax.set_xlabel("weight value (trained dense network)")
    ax.set_ylabel("count")
    first = stats[(stats["layer"] == "all")].iloc[0]
    ax.set_title(
        f"{title}\ntrial {int(first['trial'])}: n = {int(first['count'])}, mean {first['mean']:.3g}, "
        f"std {first['std']:.3g}",
        fontsize=8,
    )
    if len(weights) > 1:
        ax.legend(fontsize=7)
    return fig


def pruning_curves(sweep: pd.DataFrame, imp: pd.DataFrame, tickets: pd.DataFrame, metric: str, title: str):
    """Accuracy vs percent of weights remaining: pruning without retraining, and the IMP tickets
    rewound and retrained (θ₀, or θ_k with late rewinding), with the experiment's controls and
    ablations as lines of their own; the criterion and each trial's chosen ticket marked."""
    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    xs = []
    stats = sweep.groupby("percentile").agg(x=("sparsity", "mean"), y=("test_accuracy", "mean"))
    x = (1 - stats["x"]) * 100
    xs.extend(x)
    ax.plot(x, stats["y"] * 100, color="black", marker="x", linewidth=1.2, label="pruned, no retraining")
    for variant, part in imp.groupby("variant", sort=False):
        s = part.groupby("round").agg(x=("weights_remaining", "mean"), y=(metric, "mean"))
        style = STYLE.get(variant, {"label": variant})
        label = "IMP ticket, retrained" if variant == "ticket" else style["label"]
        ax.plot(s["x"] * 100, s["y"] * 100, markersize=3, linewidth=1.2, **{**style, "label": label})
        xs.extend(s["x"] * 100)
    criterion = tickets["criterion"].iloc[0]
    ax.axhline(criterion * 100, color="gray", linestyle="--", linewidth=0.8, label=f"criterion {criterion * 100:g}%")
    ax.plot(
        tickets["weights_remaining"] * 100,
        tickets["accuracy"] * 100,
        linestyle="none",
        marker="*",
        markersize=11,
        color="gold",
        markeredgecolor="black",
        label="chosen ticket",
    )
    _percent_axis(ax, xs)
    ax.set_ylabel(f"test accuracy (%), {metric.replace('_', ' ')}")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)
    return fig


def new_init_curves(ticket_curves: pd.DataFrame, new_init: pd.DataFrame, budget: int, title: str):
    """Test accuracy during training: the ticket (its θ₀) vs the same mask from a new init (longer budget)."""
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    for trial, part in ticket_curves.groupby("trial"):
        ax.plot(
            part["iteration"],
            part["accuracy"] * 100,
            color="tab:blue",
            linewidth=1.2,
            label="ticket (original init)" if trial == ticket_curves["trial"].min() else None,
        )
    for trial, part in new_init.groupby("trial"):
        ax.plot(
            part["iteration"],
            part["accuracy"] * 100,
            color="tab:orange",
            linestyle="--",
            linewidth=1.2,
            label="same mask, new init" if trial == new_init["trial"].min() else None,
        )
    ax.axvline(budget, color="gray", linestyle=":", linewidth=0.8, label="ticket's budget")
    later = pd.concat([ticket_curves, new_init])
    later = later[later["iteration"] > 0]["accuracy"] * 100
    if not later.empty:
        ax.set_ylim(later.quantile(0.02) - 1, min(100.0, later.max() + 1))
    ax.set_xlabel("training iterations")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)
    return fig


def xor_success(table1: pd.DataFrame, table2: pd.DataFrame, title: str):
    """Bar charts of DB and ZL success: random nets by width (Table 1), pruned nets (Table 2)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 2.4]}, sharey=True)
    for ax, frame, labels in (
        (axes[0], table1, [f"h={w}" for w in table1["width"]]),
        (axes[1], table2, [f"{u}: {h} {m}" for u, h, m in zip(table2["units"], table2["heuristic"], table2["mode"])]),
    ):
        pos = range(len(frame))
        ax.bar([p - 0.2 for p in pos], frame["db_success_pct"], width=0.4, label="DB (all 4 points right)")
        ax.bar([p + 0.2 for p in pos], frame["zl_success_pct"], width=0.4, label="ZL (loss below threshold)")
        ax.set_xticks(list(pos), labels, rotation=45, ha="right", fontsize=7)
    axes[0].set_title("random init (Table 1)", fontsize=8)
    axes[1].set_title("units pruned, reset to θ₀, retrained (Table 2)", fontsize=8)
    axes[0].set_ylabel("success (%)")
    axes[0].set_ylim(0, 100)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    return fig


def save(fig, outdir: str | os.PathLike, stem: str) -> None:
    _save(fig, Path(outdir), stem)
