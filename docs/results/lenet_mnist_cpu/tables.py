"""Tables and numbers of the lenet_mnist_cpu page, from summary.csv, instability.csv and structure.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown
from numfmt import both, num, pct, span

ROUNDS = [0, 3, 7, 10, 12, 15]  # the LTH Figure 3 sparsities present in this run (100 … 3.6%)
LABELS = {"ticket": "winning ticket", "reinit": "random reinit", "random": "random pruning"}
GAP = 0.003  # "within 0.3 points of dense"


def _summary(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "summary.csv")


def _means(here: Path) -> pd.DataFrame:
    """Mean over trials per round and variant: remaining (%), accuracy at early stop, early-stop iteration."""
    s = _summary(here)
    return (
        s.groupby(["variant", "round"])
        .agg(
            remaining=("weights_remaining", "mean"),
            acc=("early_stop_test_accuracy", "mean"),
            acc_min=("early_stop_test_accuracy", "min"),
            acc_max=("early_stop_test_accuracy", "max"),
            stop=("early_stop_iteration", "mean"),
        )
        .reset_index()
    )


def _variant(here: Path, variant: str) -> pd.DataFrame:
    m = _means(here)
    return m[m["variant"] == variant].set_index("round").sort_index()


def _dense(here: Path) -> pd.Series:
    return _variant(here, "ticket").loc[0]


def _remaining(fraction: float) -> str:
    return f"{100 * fraction:.1f}"


def accuracy_table(here: Path) -> str:
    m = _means(here)
    rows = []
    for variant, label in LABELS.items():
        part = m[m["variant"] == variant].set_index("round")
        rows.append([label] + [pct(part.loc[r, "acc"]) if r in part.index else None for r in ROUNDS])
    remaining = _variant(here, "ticket")["remaining"]
    header = ["weights remaining (%)"] + [
        f"{100 * remaining[r]:g}" if r == 0 else _remaining(remaining[r]) for r in ROUNDS
    ]
    return markdown(pd.DataFrame(rows, columns=header))


def _from_on(series: pd.Series, ok: pd.Series) -> float:
    """The largest remaining fraction from which ``ok`` holds at every sparser round (by round)."""
    rounds = sorted(ok.index)
    start = None
    for r in reversed(rounds):
        if not ok[r]:
            break
        start = r
    return series[start]


def ticket_at_or_above_from(here: Path) -> str:
    t = _variant(here, "ticket")
    return f"{100 * _from_on(t['remaining'], t['acc'] >= _dense(here)['acc']):.0f}"


def ticket_clearly_above_from(here: Path) -> str:
    """Every trial's ticket above every trial's dense network, at this sparsity and all sparser ones."""
    t = _variant(here, "ticket")
    return f"{100 * _from_on(t['remaining'], t['acc_min'] > _dense(here)['acc_max']):.0f}"


def _below_from(here: Path, variant: str) -> str:
    """Where the control falls more than 0.3 points below dense and stays there."""
    c = _variant(here, variant)
    return _remaining(_from_on(c["remaining"], c["acc"] < _dense(here)["acc"] - GAP))


def reinit_within_to(here: Path) -> str:
    """The sparsest round down to which random reinitialisation stays within 0.3 points of dense."""
    c = _variant(here, "reinit")
    close = (c["acc"] - _dense(here)["acc"]).abs() <= GAP
    last = close.index[0]
    for r in close.index:
        if not close[r]:
            break
        last = r
    return _remaining(c.loc[last, "remaining"])


def _gap_last(here: Path, variant: str) -> str:
    c = _variant(here, variant)
    return f"{100 * (_dense(here)['acc'] - c['acc'].iloc[-1]):.2f}"


def _at(here: Path, variant: str, column: str, rnd: int, fmt=pct) -> str:
    return fmt(_variant(here, variant).loc[rnd, column])


def _stop_span(here: Path, variant: str, first: int) -> str:
    c = _variant(here, variant)
    return span(c.loc[first:, "stop"])


def speedup(here: Path) -> str:
    return f"{_variant(here, 'reinit').loc[7, 'stop'] / _variant(here, 'ticket').loc[7, 'stop']:.1f}"


def _instability(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "instability.csv")


def _paths(here: Path) -> int:
    return len(_instability(here).drop_duplicates(["trial", "round", "k"]))


def instability_table(here: Path) -> str:
    t = _instability(here)
    t = t[t["split"] == "test"]
    ks = sorted(t["k"].unique())
    rows = []
    for rnd, part in t.groupby("round"):
        remaining = part["weights_remaining"].iloc[0]
        label = f"dense ({remaining * 100:g}%)" if rnd == 0 else f"ticket, round {rnd} ({_remaining(remaining)}%)"
        rows.append(
            [label]
            + [", ".join(f"{pct(v)}%" for v in part[part["k"] == k].sort_values("trial")["instability"]) for k in ks]
        )
    return markdown(pd.DataFrame(rows, columns=["network"] + [f"k = {k}" for k in ks]))


def _dense_k0(here: Path, split: str) -> pd.Series:
    t = _instability(here)
    return t[(t["round"] == 0) & (t["k"] == 0) & (t["split"] == split)].sort_values("trial")["instability"]


def _structure(here: Path) -> pd.DataFrame:
    s = pd.read_csv(here / "structure.csv")
    return s.groupby(["comparison", "layer", "round_a", "round_b"])["spearman"].mean().reset_index()


def _spearman(here: Path, comparison: str, hidden: bool, round_a: int | None = None) -> str:
    s = _structure(here)
    s = s[(s["comparison"] == comparison) & (s["layer"].str.startswith("hidden") == hidden)]
    if round_a is not None:
        s = s[s["round_a"] == round_a]
    return span(s["spearman"], lambda v: f"{v:.2f}")


def _jaccard(here: Path, hidden: bool) -> str:
    s = pd.read_csv(here / "structure.csv")
    s = s[(s["comparison"] == "consecutive") & (s["layer"].str.startswith("hidden") == hidden)]
    return span(s["jaccard"], lambda v: f"{v:.2g}")


TABLES = {
    "accuracy": accuracy_table,
    "instability": instability_table,
}

VALUES = {
    "networks": lambda here: str(len(_summary(here))),
    "train_seconds_median": lambda here: f"{_summary(here)['train_seconds'].median():.0f}",
    "train_seconds_range": lambda here: span(_summary(here)["train_seconds"]),
    "dense_acc": lambda here: pct(_dense(here)["acc"]),
    "ticket_last": lambda here: _at(here, "ticket", "acc", 15),
    "ticket_round1": lambda here: _at(here, "ticket", "acc", 1),
    "round1_remaining": lambda here: _remaining(_variant(here, "ticket").loc[1, "remaining"]),
    "ticket_at_or_above_from": ticket_at_or_above_from,
    "ticket_clearly_above_from": ticket_clearly_above_from,
    "reinit_within_to": reinit_within_to,
    "reinit_gap_last": lambda here: _gap_last(here, "reinit"),
    "reinit_below_from": lambda here: _below_from(here, "reinit"),
    "random_below_from": lambda here: _below_from(here, "random"),
    "random_gap_last": lambda here: _gap_last(here, "random"),
    "stop_dense": lambda here: num(_dense(here)["stop"]),
    "stop_ticket_sparse": lambda here: _stop_span(here, "ticket", 4),
    "stop_ticket_21": lambda here: _at(here, "ticket", "stop", 7, num),
    "stop_reinit_21": lambda here: _at(here, "reinit", "stop", 7, num),
    "stop_reinit_sparse": lambda here: _stop_span(here, "reinit", 10),
    "stop_random_21": lambda here: _at(here, "random", "stop", 7, num),
    "stop_random_last": lambda here: _at(here, "random", "stop", 15, num),
    "speedup_21": speedup,
    "paths": lambda here: str(_paths(here)),
    "copies": lambda here: str(2 * _paths(here)),  # two trained copies per path
    "max_instability": lambda here: pct(_instability(here)["instability"].max()),
    "bump_test": lambda here: f"{100 * _dense_k0(here, 'test').mean():.1f}",
    "bump_train": lambda here: both(_dense_k0(here, "train")),
    "spearman_hidden_consecutive": lambda here: _spearman(here, "consecutive", True),
    "spearman_output_consecutive": lambda here: _spearman(here, "consecutive", False),
    "spearman_hidden_final_dense": lambda here: _spearman(here, "final", True, 0),
    "jaccard_hidden": lambda here: _jaccard(here, True),
    "jaccard_output": lambda here: _jaccard(here, False),
}
