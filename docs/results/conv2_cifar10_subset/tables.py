"""Tables and numbers of the conv2_cifar10_subset page, from summary.csv and curves.csv."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from mdtable import markdown
from numfmt import num, pct, span

TEST_IMAGES = 761  # the subset's test set (cifar10_exact_subset.npz)


def _summary(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "summary.csv").sort_values(["round", "variant"], ascending=[True, False])


def _rows(here: Path, variant: str, first_round: int = 1) -> pd.DataFrame:
    s = _summary(here)
    return s[(s["variant"] == variant) & (s["round"] >= first_round)]


def _dense(here: Path) -> pd.Series:
    s = _summary(here)
    return s[s["round"] == 0].iloc[0]


def runs_table(here: Path) -> str:
    s = _summary(here)
    table = pd.DataFrame(
        {
            "round": s["round"],
            "weights remaining": [f"{100 * w:.1f}%" if w < 1 else "100%" for w in s["weights_remaining"]],
            "variant": ["dense" if r == 0 else v for r, v in zip(s["round"], s["variant"])],
            "early-stop iteration": [num(i) for i in s["early_stop_iteration"]],
            "test accuracy at early stop": [f"{pct(a, 1)}%" for a in s["early_stop_test_accuracy"]],
            "max test accuracy": [f"{pct(a, 1)}%" for a in s["max_test_accuracy"]],
        }
    )
    return markdown(table)


def _start_accuracy(here: Path, variant: str, rnd: int) -> float:
    c = pd.read_csv(here / "curves.csv")
    return c[(c["iteration"] == 0) & (c["split"] == "test") & (c["variant"] == variant) & (c["round"] == rnd)][
        "accuracy"
    ].iloc[0]


def _last(here: Path, variant: str) -> pd.Series:
    return _rows(here, variant).iloc[-1]


def _gap(a: float, b: float) -> str:
    return f"{100 * (a - b):.1f}"


VALUES = {
    "train_minutes": lambda here: span(_summary(here)["train_seconds"] / 60),
    "stop_dense": lambda here: num(_dense(here)["early_stop_iteration"]),
    "stop_ticket": lambda here: span(_rows(here, "ticket")["early_stop_iteration"]),
    "stop_reinit": lambda here: span(_rows(here, "reinit")["early_stop_iteration"]),
    "dense_acc": lambda here: pct(_dense(here)["early_stop_test_accuracy"], 1),
    "dense_max": lambda here: pct(_dense(here)["max_test_accuracy"], 1),
    "last_remaining": lambda here: f"{100 * _last(here, 'ticket')['weights_remaining']:.1f}",
    "ticket_last": lambda here: pct(_last(here, "ticket")["early_stop_test_accuracy"], 1),
    "reinit_last": lambda here: pct(_last(here, "reinit")["early_stop_test_accuracy"], 1),
    "reinit_sparse": lambda here: ", ".join(
        f"{pct(a, 1)}% at {100 * w:.1f}%"
        for a, w in _rows(here, "reinit", 2)[["early_stop_test_accuracy", "weights_remaining"]].values
    ),
    "ticket_sparse": lambda here: ", ".join(
        f"{pct(a, 1)}%" for a in _rows(here, "ticket", 2)["early_stop_test_accuracy"]
    ),
    "ticket_max": lambda here: span(_rows(here, "ticket")["max_test_accuracy"], lambda a: pct(a, 1)),
    "ticket_max_gap": lambda here: span(
        _dense(here)["max_test_accuracy"] - _rows(here, "ticket")["max_test_accuracy"], lambda d: f"{100 * d:.1f}"
    ),
    "ticket_stop_gap": lambda here: span(
        _dense(here)["early_stop_test_accuracy"] - _rows(here, "ticket")["early_stop_test_accuracy"],
        lambda d: f"{100 * d:.1f}",
    ),
    "standard_error": lambda here: (
        f"{100 * math.sqrt(_dense(here)['early_stop_test_accuracy'] * (1 - _dense(here)['early_stop_test_accuracy']) / TEST_IMAGES):.1f}"
    ),
    "round1_gap": lambda here: _gap(
        _rows(here, "reinit").iloc[0]["early_stop_test_accuracy"],
        _rows(here, "ticket").iloc[0]["early_stop_test_accuracy"],
    ),
    "start_ticket": lambda here: pct(_start_accuracy(here, "ticket", 1), 0),
    "start_reinit": lambda here: pct(_start_accuracy(here, "reinit", 1), 0),
}

TABLES = {"runs": runs_table}
