"""Paper-style figures (LTH Figures 3-4) from the summary tables.

Every figure is written as PNG (for the report and README) and PDF (for papers), atomically.
Lines show the mean over trials; error bars span the minimum and maximum, as in the LTH paper.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator  # noqa: E402

from lth.io import atomic_path  # noqa: E402
from lth.variants import ORDER, STYLE  # noqa: E402

# Sparsities (percent of weights remaining) shown in LTH Figure 3 (left).
CURVE_LEVELS = (100.0, 51.3, 21.1, 7.0, 3.6, 1.9)
from lth.figure_names import FIGURES  # noqa: E402  (the names the workflow declares)

plt.rcParams.update({"font.size": 9, "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 150})


def _save(fig, outdir: Path, stem: str) -> None:
    for ext in ("png", "pdf"):
        with atomic_path(outdir / f"{stem}.{ext}") as tmp:
            fig.savefig(tmp, format=ext, bbox_inches="tight")
    plt.close(fig)


PERCENT_TICKS = (100, 50, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1)


def _percent_axis(ax, values) -> None:
    ax.set_xscale("log")
    lo, hi = min(values) / 1.25, max(values) * 1.25
    ax.set_xlim(hi, lo)  # dense (100%) on the left, as in the paper
    ticks = [t for t in PERCENT_TICKS if lo <= t <= hi]
    if len(ticks) < 3:  # a short run: label the sparsities themselves
        ticks = sorted({round(v, 1) for v in values})
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("percent of weights remaining")


def _by_variant(summary: pd.DataFrame, column: str):
    for variant in ORDER:
        part = summary[summary["variant"] == variant]
        if part.empty:
            continue
        stats = part.groupby("round").agg(
            x=("weights_remaining", "mean"), mean=(column, "mean"), lo=(column, "min"), hi=(column, "max")
        )
        yield variant, stats


def _metric_vs_sparsity(summary: pd.DataFrame, column: str, ylabel: str, title: str, scale: float):
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    xs = []
    for variant, s in _by_variant(summary, column):
        x = s["x"] * 100
        xs.extend(x)
        mean, lo, hi = s["mean"] * scale, s["lo"] * scale, s["hi"] * scale
        ax.errorbar(x, mean, yerr=[mean - lo, hi - mean], capsize=2, markersize=3, linewidth=1.2, **STYLE[variant])
    _percent_axis(ax, xs)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig


def _curves(curves: pd.DataFrame, title: str):
    test = curves[(curves["split"] == "test")]
    levels = test.groupby("round")["weights_remaining"].mean() * 100
    chosen = []
    for target in CURVE_LEVELS:
        nearest = (levels - target).abs().idxmin()
        if abs(levels[nearest] - target) / target < 0.15 and nearest not in chosen:
            chosen.append(nearest)
    if len(chosen) < 2:  # short runs: show up to six rounds spread over the schedule
        rounds = list(levels.index)
        step = max(1, -(-len(rounds) // 6))
        chosen = rounds[::step]
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.2), sharey=True)
    cmap = plt.get_cmap("viridis")
    for ax, variant in zip(axes, ["ticket", "reinit"]):
        for i, round_ in enumerate(chosen):
            part = test[(test["round"] == round_) & (test["variant"] == ("ticket" if round_ == 0 else variant))]
            if part.empty:
                continue
            mean = part.groupby("iteration")["accuracy"].mean() * 100
            ax.plot(
                mean.index,
                mean.values,
                color=cmap(i / max(1, len(chosen) - 1)),
                linewidth=1.1,
                label=f"{levels[round_]:.1f}%",
            )
        ax.set_title(f"{STYLE[variant]['label']}")
        ax.set_xlabel("training iterations")
        ax.legend(fontsize=7, title="remaining", title_fontsize=7)
    # Zoom on the interesting range, as LTH Figure 3 does: from the first evaluation after
    # iteration 0 (the start, near chance for dense networks, would flatten everything else).
    later = test[test["iteration"] > test["iteration"].min()]
    if not later.empty:
        shown = later[later["round"].isin(chosen)]["accuracy"] * 100
        axes[0].set_ylim(shown.quantile(0.02) - 0.5, min(100.0, shown.max() + 0.3))
    axes[0].set_ylabel("test accuracy (%)")
    fig.suptitle(title, y=1.02)
    return fig


def render(summary: pd.DataFrame, curves: pd.DataFrame | None, outdir: str | os.PathLike, title: str) -> list[Path]:
    """Write accuracy, early_stop and curves figures (PNG and PDF) into ``outdir``. Without
    ``curves`` (a recorded run whose per-evaluation table was not kept) the curves figure is left out."""
    outdir = Path(outdir)
    _save(
        _metric_vs_sparsity(summary, "early_stop_test_accuracy", "test accuracy at early stop (%)", title, 100),
        outdir,
        "accuracy",
    )
    _save(_metric_vs_sparsity(summary, "early_stop_iteration", "early-stop iteration", title, 1), outdir, "early_stop")
    if curves is not None:
        _save(_curves(curves, title), outdir, "curves")
    stems = FIGURES if curves is not None else FIGURES[:2]
    return [outdir / f"{stem}.{ext}" for stem in stems for ext in ("png", "pdf")]


def _instability_paths(paths: pd.DataFrame, title: str):
    """Test error along the path for each rewind point k, one panel per sparsity (LMC Figure 1 style)."""
    test = paths[paths["split"] == "test"]
    rounds = sorted(test["round"].unique())
    fig, axes = plt.subplots(1, len(rounds), figsize=(3.6 * len(rounds), 3.0), sharey=True, squeeze=False)
    cmap = plt.get_cmap("plasma")
    ks = sorted(test["k"].unique())
    for ax, round_ in zip(axes[0], rounds):
        part = test[test["round"] == round_]
        for i, k in enumerate(ks):
            stats = part[part["k"] == k].groupby("alpha")["error"].agg(["mean", "std"]).fillna(0.0) * 100
            color = cmap(i / max(1, len(ks)))
            ax.plot(stats.index, stats["mean"], color=color, linewidth=1.2, label=f"k = {k}")
            ax.fill_between(
                stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"], color=color, alpha=0.2
            )
        remaining = part["weights_remaining"].mean() * 100
        ax.set_title(f"{remaining:.1f}% remaining" + (" (dense)" if round_ == 0 else ""))
        ax.set_xlabel("interpolation α")
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("test error (%)")
    fig.suptitle(title, y=1.03)
    return fig


def _k_axis(ax, ks) -> None:
    """The rewind iteration k on a log-like axis (symlog: linear up to the smallest k > 0, so k = 0
    has a place) with a labelled tick at every k asked for; symlog's own locator labels only
    powers of ten and would hide k = 500."""
    ks = sorted({int(k) for k in ks})
    positive = [k for k in ks if k > 0]
    if len(ks) > 1 and positive:
        ax.set_xscale("symlog", linthresh=positive[0], linscale=0.6)
        # symlog's automatic margins reach far below 0; pad a little on either side instead
        ax.set_xlim(-0.25 * positive[0] if ks[0] == 0 else ks[0] / 1.25, ks[-1] * 1.25)
    ax.xaxis.set_major_locator(FixedLocator(ks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{round(v)}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("rewind iteration k")
    if len(ks) > 6:
        ax.tick_params(axis="x", labelrotation=45)


def _round_label(part: pd.DataFrame, round_: int) -> str:
    return f"{part['weights_remaining'].mean() * 100:.1f}% remaining" + (" (dense)" if round_ == 0 else "")


def _instability_vs_k(table: pd.DataFrame, threshold: float, title: str):
    """Instability (test) against the rewind iteration k, one line per sparsity (LMC Figures 3/5 style)."""
    test = table[table["split"] == "test"]
    fig, ax = plt.subplots(figsize=(4.6, 3.4))
    cmap = plt.get_cmap("viridis")
    rounds = sorted(test["round"].unique())
    for i, round_ in enumerate(rounds):
        part = test[test["round"] == round_]
        stats = part.groupby("k")["instability"].agg(["mean", "std"]).fillna(0.0) * 100
        ax.errorbar(
            stats.index,
            stats["mean"],
            yerr=stats["std"],
            marker="o",
            markersize=3,
            capsize=2,
            color=cmap(i / max(1, len(rounds) - 1)),
            label=_round_label(part, round_),
        )
    ax.axhline(threshold * 100, color="gray", linestyle="--", linewidth=0.8, label=f"stable below {threshold * 100:g}%")
    _k_axis(ax, test["k"])
    ax.set_ylabel("instability: test error rise (%)")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)
    return fig


def _min_max_bars(ax, frame: pd.DataFrame, column: str, scale: float, **style) -> None:
    """Mean over trials against k, error bars from the minimum to the maximum (LTH style)."""
    stats = frame.groupby("k")[column].agg(["mean", "min", "max"]) * scale
    ax.errorbar(
        stats.index,
        stats["mean"],
        yerr=[stats["mean"] - stats["min"], stats["max"] - stats["mean"]],
        marker="o",
        markersize=3,
        capsize=2,
        **style,
    )


def _imp_rewinding_vs_k(table: pd.DataFrame, imp: pd.DataFrame, threshold: float, title: str):
    """The IMP subnetworks rewound to k (Frankle et al. 2020, section 5): test accuracy at the end of
    training against k (left), with the dense network's as a line, beside their instability
    against k (right). A subnetwork matches the dense network where it is stable."""
    test = table[table["split"] == "test"]
    sparse = sorted(r for r in imp["round"].unique() if r > 0)
    cmap = plt.get_cmap("viridis")
    colors = {r: cmap(i / max(1, len(sparse) - 1)) for i, r in enumerate(sparse)}
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.8, 3.4))
    dense = imp[imp["round"] == 0].drop_duplicates("trial")["final_test_accuracy"] * 100
    if not dense.empty:
        left.axhspan(dense.min(), dense.max(), color="gray", alpha=0.15, linewidth=0)
        left.axhline(
            dense.mean(), color="gray", linestyle="--", linewidth=1, label=f"dense network ({dense.mean():.2f}%)"
        )
    for round_ in sparse:
        part = imp[imp["round"] == round_]
        _min_max_bars(left, part, "final_test_accuracy", 100, color=colors[round_], label=_round_label(part, round_))
    left.set_ylabel("test accuracy at end of training (%)")
    left.set_title("IMP subnetwork rewound to k", fontsize=8)
    for round_ in sorted(test["round"].unique()):
        part = test[test["round"] == round_]
        style = dict(color="gray", linestyle="--") if round_ == 0 else dict(color=colors.get(round_, "black"))
        _min_max_bars(right, part, "instability", 100, label=_round_label(part, round_), **style)
    right.axhline(
        threshold * 100, color="gray", linestyle=":", linewidth=0.8, label=f"stable below {threshold * 100:g}%"
    )
    right.set_ylabel("instability: test error rise (%)")
    right.set_title("its instability (copies from mask ⊙ θ_k)", fontsize=8)
    for ax in (left, right):
        _k_axis(ax, pd.concat([imp["k"], test["k"]]))
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=8, y=1.02)
    return fig


def render_instability(
    paths: pd.DataFrame | None,
    table: pd.DataFrame,
    imp: pd.DataFrame | None,
    outdir: str | os.PathLike,
    title: str,
    threshold: float = 0.02,
) -> None:
    """Write instability_paths, instability_vs_k and imp_rewinding_vs_k (PNG and PDF) into ``outdir``;
    a figure whose table is None (``paths``, ``imp``: not kept for a recorded run) is left out."""
    outdir = Path(outdir)
    if paths is not None:
        _save(_instability_paths(paths, title), outdir, "instability_paths")
    _save(_instability_vs_k(table, threshold, title), outdir, "instability_vs_k")
    if imp is not None:
        _save(_imp_rewinding_vs_k(table, imp, threshold, title), outdir, "imp_rewinding_vs_k")


def text_colour(rgba) -> str:
    """Black or white, whichever contrasts more with a cell of colour ``rgba`` (WCAG contrast of the
    cell's relative luminance L: black wins above L = 0.179): dark numbers on viridis' yellow and
    green cells, white ones on its blue and purple cells."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "white"


def render_structure(table: pd.DataFrame, outdir: str | os.PathLike, title: str) -> None:
    """Heatmaps (layers × rounds, mean over trials): Spearman of magnitudes with the next round and with
    the final round, and the Jaccard overlap of consecutive masks."""
    panels = [
        ("consecutive", "spearman", "Spearman ρ of |w|, round r vs r+1"),
        ("final", "spearman", "Spearman ρ of |w|, round r vs final"),
        ("consecutive", "jaccard", "mask Jaccard, round r vs r+1"),
    ]
    layers = list(dict.fromkeys(table["layer"]))
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(4.0 * len(panels) + 1.0, 0.6 * len(layers) + 1.6),
        squeeze=False,
        constrained_layout=True,
    )
    for i, (ax, (comparison, column, label)) in enumerate(zip(axes[0], panels)):
        part = table[table["comparison"] == comparison]
        grid = part.pivot_table(index="layer", columns="round_a", values=column, aggfunc="mean").reindex(layers)
        image = ax.imshow(grid.values, aspect="auto", cmap="viridis", vmin=0 if column == "jaccard" else -1, vmax=1)
        ax.set_xticks(range(len(grid.columns)), [str(c) for c in grid.columns])
        ax.set_yticks(range(len(layers)), layers if i == 0 else [])
        if grid.shape[1] <= 20:  # small grids: print the values in the cells
            for (row, col), value in np.ndenumerate(grid.values):
                colour = text_colour(image.cmap(image.norm(value)))
                ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=6, color=colour)
        ax.set_xlabel("round r")
        ax.set_title(label, fontsize=8)
        ax.grid(False)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(title)
    _save(fig, Path(outdir), "structure")


def _spread(rounds: list[int], most: int = 6) -> list[int]:
    """Up to ``most`` rounds spread over ``rounds`` (sorted), always with the first and the last."""
    if len(rounds) <= most:
        return rounds
    picks = {rounds[round(i * (len(rounds) - 1) / (most - 1))] for i in range(most)}
    return sorted(picks)


def _sweep_overlay(table: pd.DataFrame, column: str, ylabel: str, title: str, scale: float):
    """Ticket (solid) and, where trained, random reinit (dashed) against sparsity, one colour per value."""
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    cmap = plt.get_cmap("viridis")
    members = table.drop_duplicates("sweep_index").sort_values("sweep_index")
    xs = []
    for i, (_, member) in enumerate(members.iterrows()):
        part = table[table["sweep_index"] == member["sweep_index"]]
        color = cmap(i / max(1, len(members) - 1))
        for variant, style in (("ticket", "-"), ("reinit", "--")):
            rows = part[part["variant"] == variant]
            if rows.empty:
                continue
            stats = rows.groupby("round").agg(
                x=("weights_remaining", "mean"), mean=(column, "mean"), lo=(column, "min"), hi=(column, "max")
            )
            x = stats["x"] * 100
            xs.extend(x)
            mean, lo, hi = stats["mean"] * scale, stats["lo"] * scale, stats["hi"] * scale
            label = f"{member['sweep_key'].split('.')[-1]} = {member['sweep_value']}" if variant == "ticket" else None
            ax.errorbar(
                x,
                mean,
                yerr=[mean - lo, hi - mean],
                color=color,
                linestyle=style,
                marker="o" if variant == "ticket" else "s",
                markersize=3,
                capsize=2,
                linewidth=1.2,
                label=label,
            )
    _percent_axis(ax, xs)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=8)
    ax.legend(
        fontsize=7,
        title="solid: ticket; dashed: reinit" if (table["variant"] == "reinit").any() else None,
        title_fontsize=7,
    )
    return fig


def _sweep_vs_value(table: pd.DataFrame, title: str):
    """Accuracy and early-stop iteration against the swept value: the dense network and the ticket
    at a few rounds, each trained with the same value (for train_fraction: at equal data)."""
    members = table.drop_duplicates("sweep_index").sort_values("sweep_index")
    tickets = table[table["variant"] == "ticket"]
    common = sorted(
        set.intersection(*(set(tickets[tickets["sweep_index"] == i]["round"]) for i in members["sweep_index"]))
    )
    rounds = [0] + _spread([r for r in common if r > 0], 4)
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.4))
    cmap = plt.get_cmap("plasma")
    for ax, (column, ylabel, scale) in zip(
        axes,
        [
            ("early_stop_test_accuracy", "test accuracy at early stop (%)", 100),
            ("early_stop_iteration", "early-stop iteration", 1),
        ],
    ):
        for i, round_ in enumerate(rounds):
            part = tickets[tickets["round"] == round_]
            stats = part.groupby("sweep_index").agg(
                mean=(column, "mean"), lo=(column, "min"), hi=(column, "max"), remaining=("weights_remaining", "mean")
            )
            mean, lo, hi = stats["mean"] * scale, stats["lo"] * scale, stats["hi"] * scale
            spread = stats["remaining"].max() - stats["remaining"].min()
            level = (
                f"{stats['remaining'].mean() * 100:.1f}% remaining"
                if spread < 0.01 * stats["remaining"].mean()
                else f"round {round_}"
            )
            label = "dense" if round_ == 0 else f"ticket, {level}"
            ax.errorbar(
                stats.index,
                mean,
                yerr=[mean - lo, hi - mean],
                marker="o",
                markersize=3,
                capsize=2,
                color=cmap(i / max(1, len(rounds))),
                linestyle="--" if round_ == 0 else "-",
                label=label,
            )
        ax.set_xticks(list(members["sweep_index"]), list(members["sweep_value"]))
        ax.set_xlabel(members["sweep_key"].iloc[0])
        ax.set_ylabel(ylabel)
    axes[0].legend(fontsize=7)
    fig.suptitle(title, y=1.02, fontsize=9)
    return fig


def render_sweep(table: pd.DataFrame, outdir: str | os.PathLike, title: str) -> None:
    """Write the sweep overlays (accuracy and early stop vs sparsity, one line per value; LTH
    appendix hyperparameter-figure style) and the metrics against the value (PNG and PDF)."""
    outdir = Path(outdir)
    _save(
        _sweep_overlay(table, "early_stop_test_accuracy", "test accuracy at early stop (%)", title, 100),
        outdir,
        "sweep_accuracy",
    )
    _save(_sweep_overlay(table, "early_stop_iteration", "early-stop iteration", title, 1), outdir, "sweep_early_stop")
    _save(_sweep_vs_value(table, title), outdir, "sweep_vs_value")


def _remaining_by_round(stats: pd.DataFrame) -> pd.Series:
    """Percent of all prunable weights remaining at each round (mean over trials)."""
    per = stats.groupby(["trial", "round"])[["surviving", "weights"]].sum()
    return (per["surviving"] / per["weights"]).groupby("round").mean() * 100


def _anatomy_init(hist: pd.DataFrame, stats: pd.DataFrame, title: str):
    """Density of the initial values of the surviving weights, per layer, for rounds spread over the run."""
    layers = list(dict.fromkeys(stats["layer"]))
    remaining = _remaining_by_round(stats)
    rounds = _spread(sorted(remaining.index))
    fig, axes = plt.subplots(1, len(layers), figsize=(3.6 * len(layers), 3.0), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for ax, layer in zip(axes[0], layers):
        for i, round_ in enumerate(rounds):
            part = hist[(hist["layer"] == layer) & (hist["round"] == round_)]
            mean = part.groupby(["bin_left", "bin_right"])["density"].mean().reset_index()
            centres = (mean["bin_left"] + mean["bin_right"]) / 2
            ax.plot(
                centres,
                mean["density"],
                drawstyle="steps-mid",
                linewidth=1.0,
                color=cmap(i / max(1, len(rounds) - 1)),
                label=f"{remaining[round_]:.1f}%",
            )
        near = stats[stats["layer"] == layer].groupby("round")["near_zero_fraction"].mean()
        ax.set_title(
            f"{layer}\n|θ| < σ/2: {near[rounds[0]] * 100:.0f}% → {near[rounds[-1]] * 100:.0f}% of survivors", fontsize=8
        )
        ax.set_xlabel("initial value θ")
        ax.legend(fontsize=6, title="remaining", title_fontsize=6)
    axes[0][0].set_ylabel("density of surviving weights")
    fig.suptitle(title, y=1.05, fontsize=9)
    return fig


def _anatomy_units(units: pd.DataFrame, stats: pd.DataFrame, title: str):
    """Sorted surviving connections per unit (fraction of the dense fan-in / fan-out), per layer."""
    layers = list(dict.fromkeys(stats["layer"]))
    remaining = _remaining_by_round(stats)
    rounds = _spread(sorted(remaining.index))
    fig, axes = plt.subplots(2, len(layers), figsize=(3.6 * len(layers), 5.6), squeeze=False, sharey=True)
    cmap = plt.get_cmap("viridis")
    for row, direction, what in ((0, "incoming", "output units"), (1, "outgoing", "input units")):
        for ax, layer in zip(axes[row], layers):
            for i, round_ in enumerate(rounds):
                part = units[(units["layer"] == layer) & (units["round"] == round_) & (units["direction"] == direction)]
                mean = part.groupby("rank")["fraction"].mean() * 100
                ax.plot(
                    mean.index,
                    mean.values,
                    color=cmap(i / max(1, len(rounds) - 1)),
                    linewidth=1.0,
                    label=f"{remaining[round_]:.1f}%",
                )
            ax.set_title(f"{layer}: {direction} per {what[:-1]}", fontsize=8)
            ax.set_xlabel(f"{what}, sorted")
        axes[row][0].set_ylabel(f"{direction} connections kept (%)")
    axes[0][-1].legend(fontsize=6, title="remaining", title_fontsize=6)
    fig.suptitle(title, y=1.01, fontsize=9)
    fig.tight_layout()
    return fig


def _anatomy_dead(stats: pd.DataFrame, title: str):
    """Percent of units cut off against sparsity: unused inputs of the first layer and the dead
    output units of every layer (no incoming, or no outgoing connection into the next layer)."""
    layers = list(dict.fromkeys(stats["layer"]))
    remaining = _remaining_by_round(stats)
    mean = stats.groupby(["round", "layer"])[["in_units_no_outgoing", "in_units", "dead_units", "out_units"]].mean()
    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    first = mean.xs(layers[0], level="layer")
    ax.plot(
        remaining[first.index],
        first["in_units_no_outgoing"] / first["in_units"] * 100,
        marker="o",
        markersize=3,
        color="gray",
        linestyle="--",
        label=f"inputs of {layers[0]} unused",
    )
    cmap = plt.get_cmap("tab10")
    for i, layer in enumerate(layers):
        part = mean.xs(layer, level="layer")
        if part["dead_units"].isna().all():
            continue
        ax.plot(
            remaining[part.index],
            part["dead_units"] / part["out_units"] * 100,
            marker="o",
            markersize=3,
            color=cmap(i),
            label=f"outputs of {layer} dead",
        )
    _percent_axis(ax, list(remaining))
    ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))  # a share: never below 0, not a sliver around 0 when none is cut
    ax.set_ylabel("units cut off (%)")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)
    return fig


def render_anatomy(
    stats: pd.DataFrame, hist: pd.DataFrame | None, units: pd.DataFrame | None, outdir: str | os.PathLike, title: str
) -> None:
    """Write anatomy_init, anatomy_units and anatomy_dead (PNG and PDF) into ``outdir``; a figure
    whose table is None (not kept for a recorded run: they are large) is left out."""
    outdir = Path(outdir)
    if hist is not None:
        _save(_anatomy_init(hist, stats, title), outdir, "anatomy_init")
    if units is not None:
        _save(_anatomy_units(units, stats, title), outdir, "anatomy_units")
    _save(_anatomy_dead(stats, title), outdir, "anatomy_dead")
