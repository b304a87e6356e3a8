"""Tables and numbers of the fashion_ticket page, from the study's committed CSVs:
weight_stats.csv, no_retraining.csv, imp_{layerwise,global}.csv, summary_{layerwise,global}.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown
from numfmt import both, num, pct, span

SCOPES = ("layerwise", "global")
BLOG_WEIGHTS = 544  # the blog's ticket (80.09%)


def _imp(here: Path, scope: str) -> pd.DataFrame:
    imp = pd.read_csv(here / f"imp_{scope}.csv")
    return imp.assign(weights=(imp["weights_remaining"] * _dense_weights(here)).round().astype(int))


def _summary(here: Path, scope: str) -> pd.DataFrame:
    return pd.read_csv(here / f"summary_{scope}.csv").sort_values("trial")


def _dense_weights(here: Path) -> int:
    return int(pd.read_csv(here / "summary_global.csv")["dense_weights"].iloc[0])


def _stats(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "weight_stats.csv")


def _sweep(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "no_retraining.csv")


def _trial_acc(here: Path, scope: str, rnd: int) -> pd.Series:
    imp = _imp(here, scope)
    return imp[imp["round"] == rnd].sort_values("trial")["final_test_accuracy"]


def weights_table(here: Path) -> str:
    s = _stats(here)
    s = s[s["layer"] == "all"]
    table = pd.DataFrame(
        {
            "trial": s["trial"],
            "mean": [f"{v:.4f}" for v in s["mean"]],
            "std": [f"{v:.3f}" for v in s["std"]],
            "min": [f"{v:.3f}" for v in s["min"]],
            "max": [f"{v:.3f}" for v in s["max"]],
            r"\|w\| < 0.001": [f"{v:.2f}%" for v in s["pct_below_0.001"]],
            "< 0.01": [f"{v:.1f}%" for v in s["pct_below_0.01"]],
            "< 0.05": [f"{v:.1f}%" for v in s["pct_below_0.05"]],
            "< 0.1": [f"{v:.1f}%" for v in s["pct_below_0.1"]],
        }
    )
    return markdown(table)


def no_retraining_table(here: Path) -> str:
    sweep = _sweep(here)
    by = {t: part.sort_values("percentile") for t, part in sweep.groupby("trial")}
    first = by[min(by)]
    rows = [
        ["weights kept"] + [num(k) for k in first["params_kept"]],
        [r"\|w\| threshold (trial 0)"] + [f"{v:.2g}" if v < 0.01 else f"{v:.3f}" for v in first["threshold"]],
    ]
    rows += [[f"accuracy, trial {t} (%)"] + [pct(a) for a in part["test_accuracy"]] for t, part in by.items()]
    columns = ["percentile"] + [f"{p:g}" for p in first["percentile"]]
    return markdown(pd.DataFrame(rows, columns=columns))


def _kept_80(here: Path) -> pd.DataFrame:
    """Per percentile: the lowest accuracy over the trials, and the fraction of weights kept."""
    sweep = _sweep(here)
    return (
        sweep.groupby("percentile")
        .agg(kept=("sparsity", lambda s: 1 - s.mean()), low=("test_accuracy", "min"), drop=("test_accuracy", "max"))
        .sort_index()
    )


def no_retraining_holds_to(here: Path) -> str:
    """The smallest share of weights kept down to which every trial keeps the 80% criterion."""
    k = _kept_80(here)
    ok = k["low"] >= 0.80
    last = k.index[0]
    for p in k.index:
        if not ok[p]:
            break
        last = p
    return f"{100 * k.loc[last, 'kept']:.0f}"


def _first_miss(here: Path) -> pd.Series:
    k = _kept_80(here)
    return k[k["low"] < 0.80].iloc[0]


def _no_retraining_cost(here: Path, percentile: float) -> str:
    """The largest loss of accuracy over the trials, up to this percentile pruned."""
    sweep = _sweep(here)
    dense = sweep[sweep["percentile"] == 0].set_index("trial")["test_accuracy"]
    upto = sweep[sweep["percentile"] <= percentile]
    return f"{100 * (dense[upto['trial']].values - upto['test_accuracy'].values).max():.1f}"


def imp_table(here: Path) -> str:
    rows = []
    for scope in SCOPES:
        s = _summary(here, scope)
        rnd = int(s["ticket_round"].iloc[0])
        nxt = _imp(here, scope)
        nxt = nxt[nxt["round"] == rnd + 1].sort_values("trial")
        rows.append(
            [
                scope,
                f"round {rnd}: **{num(s['ticket_weights'].iloc[0])} weights**",
                f"{pct(s['ticket_sparsity'].iloc[0], 1)}%",
                ", ".join(f"{pct(a)}%" for a in s["ticket_accuracy"]),
                f"{num(nxt['weights'].iloc[0])} weights: "
                + ", ".join(f"{pct(a)}%" for a in nxt["final_test_accuracy"]),
                f"{s['log10_subnetworks_of_ticket_size'].iloc[0]:.1f}",
            ]
        )
    columns = [
        "",
        "ticket (both trials)",
        "sparsity",
        "ticket accuracy",
        "next round (misses)",
        f"log10 C({_dense_weights(here)}, k)",
    ]
    return markdown(pd.DataFrame(rows, columns=columns))


def new_init_table(here: Path) -> str:
    rows = []
    for scope in ("global", "layerwise"):
        s = _summary(here, scope)
        rows.append(
            [
                f"{scope}, {num(s['ticket_weights'].iloc[0])} weights",
                ", ".join(f"{pct(a)}%" for a in s["ticket_accuracy"]),
                ", ".join(f"{pct(a)}%" for a in s["new_init_accuracy_at_ticket_budget"]),
                ", ".join(f"{pct(a)}%" for a in s["new_init_accuracy"]),
                ", ".join(f"{pct(a)}%" for a in s["new_init_max_accuracy"]),
            ]
        )
    columns = [
        "",
        "ticket at its budget",
        "new init at the ticket's budget",
        "new init after 4× the budget (end)",
        "new init, best evaluation",
    ]
    return markdown(pd.DataFrame(rows, columns=columns))


def _dense_at_or_above_to(here: Path, scope: str, trial: int | None) -> float:
    """The smallest remaining fraction down to which every round's ticket is at or above the dense
    accuracy (one trial, or the mean of the trials)."""
    imp = _imp(here, scope)
    if trial is not None:
        imp = imp[imp["trial"] == trial]
    acc = imp.groupby("round").agg(acc=("final_test_accuracy", "mean"), rem=("weights_remaining", "mean")).sort_index()
    last = 0
    for rnd in acc.index:
        if acc.loc[rnd, "acc"] < acc.loc[0, "acc"]:
            break
        last = rnd
    return acc.loc[last, "rem"]


def _remaining_at(here: Path, scope: str, rnd: int, layer: str) -> pd.Series:
    imp = _imp(here, scope)
    return imp[imp["round"] == rnd].sort_values("trial")[f"remaining_{layer}"]


def _layer_size(here: Path, layer: str) -> int:
    s = _stats(here)
    return int(s[(s["layer"] == layer)]["count"].iloc[0])


def _collapse_round(here: Path) -> int:
    """The layerwise round after the ticket: the first whose tickets miss the criterion."""
    return int(_summary(here, "layerwise")["ticket_round"].iloc[0]) + 1


def _global_ticket_round(here: Path) -> int:
    return int(_summary(here, "global")["ticket_round"].iloc[0])


def _blog_round(here: Path) -> int:
    imp = _imp(here, "global")
    return int(imp.loc[(imp["weights"] - BLOG_WEIGHTS).abs().idxmin(), "round"])


def _layer_std(here: Path, layers: list[str]) -> str:
    s = _stats(here)
    return span(s[s["layer"].isin(layers)]["std"], lambda v: f"{v:.3g}" if v < 0.2 else f"{v:.2f}")


def _new_init_gap(here: Path, scope: str, column: str, trial: int | None = None) -> str:
    """Points by which the new init trails the ticket (``column``: when), over the trials or one."""
    s = _summary(here, scope)
    if trial is not None:
        s = s[s["trial"] == trial]
    return span(s["ticket_accuracy"] - s[column], lambda d: f"{100 * d:.1f}")


def _trial_value(here: Path, scope: str, column: str, trial: int) -> str:
    s = _summary(here, scope).set_index("trial")
    return pct(s.loc[trial, column])


def trial_gap_after_collapse(here: Path) -> str:
    """The largest difference between the two trials' layerwise tickets from the collapse on."""
    imp = _imp(here, "layerwise")
    late = imp[imp["round"] >= _collapse_round(here)].groupby("round")["final_test_accuracy"]
    return f"{100 * (late.max() - late.min()).max():.0f}"


TABLES = {
    "weights": weights_table,
    "no_retraining": no_retraining_table,
    "imp": imp_table,
    "new_init": new_init_table,
}

VALUES = {
    "train_seconds_range": lambda here: span(pd.concat([_imp(here, s)["train_seconds"] for s in SCOPES])),
    "train_seconds_layerwise": lambda here: f"{_imp(here, 'layerwise')['train_seconds'].median():.0f}",
    "train_seconds_global": lambda here: f"{_imp(here, 'global')['train_seconds'].median():.0f}",
    "dense_acc": lambda here: both(_summary(here, "global")["dense_accuracy"]),
    "dense_acc_short": lambda here: both(_summary(here, "global")["dense_accuracy"], lambda a: pct(a, 1)),
    "dense_gap": lambda here: (
        f"{100 * _summary(here, 'global')['dense_accuracy'].agg(lambda a: a.max() - a.min()):.0f}"
    ),
    "first_layer_std": lambda here: _layer_std(here, ["hidden.0.weight"]),
    "late_layers_std": lambda here: _layer_std(here, ["hidden.1.weight", "output.weight"]),
    "first_layer_count": lambda here: num(_layer_size(here, "hidden.0.weight")),
    "no_retraining_cost_40": lambda here: _no_retraining_cost(here, 40),
    "no_retraining_holds_to": no_retraining_holds_to,
    "no_retraining_first_miss": lambda here: f"{100 * _first_miss(here)['kept']:.0f}",
    "no_retraining_at_miss": lambda here: both(
        _sweep(here)[_sweep(here)["percentile"] == _first_miss(here).name].sort_values("trial")["test_accuracy"]
    ),
    "global_weights": lambda here: num(_summary(here, "global")["ticket_weights"].iloc[0]),
    "global_acc": lambda here: span(_summary(here, "global")["ticket_accuracy"], lambda a: pct(a, 1)),
    "global_acc_both": lambda here: both(_summary(here, "global")["ticket_accuracy"], lambda a: pct(a, 1)),
    "layerwise_weights": lambda here: num(_summary(here, "layerwise")["ticket_weights"].iloc[0]),
    "blog_size_weights": lambda here: num(
        _imp(here, "global").query(f"round == {_blog_round(here)}")["weights"].iloc[0]
    ),
    "blog_size_round": lambda here: str(_blog_round(here)),
    "blog_size_acc": lambda here: both(_trial_acc(here, "global", _blog_round(here)), lambda a: pct(a, 1)),
    "global_dense_mean_to": lambda here: f"{100 * _dense_at_or_above_to(here, 'global', None):.1f}",
    "global_dense_mean_to_weights": lambda here: num(
        round(_dense_at_or_above_to(here, "global", None) * _dense_weights(here))
    ),
    "global_dense_trial0_to": lambda here: f"{100 * _dense_at_or_above_to(here, 'global', 0):.0f}",
    "global_dense_trial1_to": lambda here: f"{100 * _dense_at_or_above_to(here, 'global', 1):.1f}",
    "collapse_hidden1": lambda here: span(
        _remaining_at(here, "layerwise", _collapse_round(here), "hidden.1.weight")
        * _layer_size(here, "hidden.1.weight")
    ),
    "collapse_output": lambda here: span(
        _remaining_at(here, "layerwise", _collapse_round(here), "output.weight") * _layer_size(here, "output.weight")
    ),
    "collapse_round": lambda here: str(_collapse_round(here)),
    "collapse_acc": lambda here: span(_trial_acc(here, "layerwise", _collapse_round(here)), lambda a: pct(a, 1)),
    "hidden1_size": lambda here: str(_layer_size(here, "hidden.1.weight")),
    "output_size": lambda here: str(_layer_size(here, "output.weight")),
    "global_first_layer": lambda here: span(
        _remaining_at(here, "global", _global_ticket_round(here), "hidden.0.weight"), lambda f: pct(f, 1)
    ),
    "global_hidden1": lambda here: span(
        _remaining_at(here, "global", _global_ticket_round(here), "hidden.1.weight"), lambda f: pct(f, 0)
    ),
    "global_output": lambda here: span(
        _remaining_at(here, "global", _global_ticket_round(here), "output.weight"), lambda f: pct(f, 0)
    ),
    "new_init_global_gap_end": lambda here: _new_init_gap(here, "global", "new_init_accuracy"),
    "new_init_global_end": lambda here: span(_summary(here, "global")["new_init_accuracy"], lambda a: pct(a, 1)),
    "new_init_global_best": lambda here: span(_summary(here, "global")["new_init_max_accuracy"], lambda a: pct(a, 2)),
    "new_init_layerwise_gap_trial0": lambda here: _new_init_gap(
        here, "layerwise", "new_init_accuracy_at_ticket_budget", 0
    ),
    "layerwise_new_init_budget_trial1": lambda here: _trial_value(
        here, "layerwise", "new_init_accuracy_at_ticket_budget", 1
    ),
    "layerwise_ticket_trial1": lambda here: _trial_value(here, "layerwise", "ticket_accuracy", 1),
    "layerwise_new_init_end_trial1": lambda here: _trial_value(here, "layerwise", "new_init_accuracy", 1),
    "layerwise_remaining": lambda here: f"{100 * (1 - _summary(here, 'layerwise')['ticket_sparsity'].iloc[0]):.0f}",
    "log10_global": lambda here: f"{_summary(here, 'global')['log10_subnetworks_of_ticket_size'].iloc[0]:.1f}",
    "log10_layerwise": lambda here: f"{_summary(here, 'layerwise')['log10_subnetworks_of_ticket_size'].iloc[0]:.1f}",
    "dense_weights": lambda here: num(_dense_weights(here)),
    "global_vs_blog": lambda here: f"{_summary(here, 'global')['ticket_weights'].iloc[0] / BLOG_WEIGHTS:.1f}",
    "layerwise_vs_blog": lambda here: f"{_summary(here, 'layerwise')['ticket_weights'].iloc[0] / BLOG_WEIGHTS:.1f}",
    "trial_gap_after_collapse": trial_gap_after_collapse,
    "n_plain": lambda here: str(_dense_weights(here)),
    "global_weights_plain": lambda here: str(_summary(here, "global")["ticket_weights"].iloc[0]),
    "layerwise_weights_plain": lambda here: str(_summary(here, "layerwise")["ticket_weights"].iloc[0]),
}
