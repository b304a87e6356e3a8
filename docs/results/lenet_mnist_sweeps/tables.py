"""Tables and numbers of the lenet_mnist_sweeps page, from each sweep's sweep.csv (init_std/,
hidden/, rate/, rounds/) and the run's load samples and timing (run.csv, timing.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown
from numfmt import both, num, pct, span

SWEEPS = ("init_std", "hidden", "rate", "rounds")


def _sweep(here: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(here / name / "sweep.csv")


def _label(name: str, value) -> str:
    """The swept value as the page writes it."""
    if name == "init_std":
        return f"std {float(value)!r}"
    if name == "rate":
        return f"{value * 100:g}% per round"
    if name == "rounds":
        return f"{value} round{'s' if value > 1 else ''}"
    return str(value).strip("[]").replace(", ", "-")


def _metric(here: Path, name: str, column: str = "early_stop_test_accuracy") -> pd.DataFrame:
    """(value, round) × variant."""
    return _sweep(here, name).pivot_table(index=["sweep_index", "round"], columns="variant", values=column)


def _values(here: Path, name: str) -> pd.Series:
    """sweep_index -> value, in sweep order."""
    return _sweep(here, name).drop_duplicates("sweep_index").set_index("sweep_index")["sweep_value"]


def _remaining(here: Path, name: str) -> pd.Series:
    """(value, round) -> percent of the prunable weights left."""
    return _sweep(here, name).groupby(["sweep_index", "round"])["weights_remaining"].mean() * 100


def _table(here: Path, name: str) -> str:
    acc, stop, remaining = _metric(here, name), _metric(here, name, "early_stop_iteration"), _remaining(here, name)
    values = _values(here, name)
    rows = []
    for (index, round_), row in acc.iterrows():
        reinit = row.get("reinit", float("nan"))
        rows.append(
            [
                _label(name, values[index]) if round_ == 0 else "",
                str(round_),
                f"{remaining[(index, round_)]:.1f}",
                pct(row["ticket"]),
                "–" if pd.isna(reinit) else pct(reinit),
                "–" if pd.isna(reinit) else f"{(row['ticket'] - reinit) * 100:+.2f}".replace("-", "−"),
                num(stop.loc[(index, round_), "ticket"])
                + ("" if pd.isna(reinit) else f" / {num(stop.loc[(index, round_), 'reinit'])}"),
            ]
        )
    columns = [
        name.replace("_", " "),
        "round",
        "weights left (%)",
        "ticket (%)",
        "reinit (%)",
        "ticket − reinit (points)",
        "early stop: ticket / reinit",
    ]
    return markdown(pd.DataFrame(rows, columns=columns))


def _signed(v: float) -> str:
    return f"{v:+.2f}".replace("-", "−")


def _cells(here: Path, name: str, indices, rounds, variant: str = "ticket") -> str:
    """Accuracies of several members, 'a% and b%' in the order given: ``rounds`` is one round for
    all or one per member (-1: the member's last round)."""
    acc = _metric(here, name)
    rounds = rounds if isinstance(rounds, list) else [rounds] * len(indices)
    values = []
    for index, round_ in zip(indices, rounds):
        member = acc.loc[index]
        values.append(member[variant].dropna().iloc[-1] if round_ == -1 else member.loc[round_, variant])
    return both(values)


def _advantages(here: Path, name: str, indices, round_: int = -1) -> str:
    """Ticket minus reinit in points, several members at one round (-1: each member's last)."""
    acc = _metric(here, name).dropna()
    values = [(acc.loc[i]["ticket"] - acc.loc[i]["reinit"]).iloc[round_] * 100 for i in indices]
    return both(values, _signed, "")


def _below_reinit(here: Path, name: str, index: int) -> str:
    """'k of n': pruned rounds at which the ticket is below its reinitialised control."""
    acc = _metric(here, name).dropna().loc[index]
    return f"{(acc['ticket'] < acc['reinit']).sum()} of {len(acc)}"


# --- the run: wall time and load ------------------------------------------------------------------


def _timing(here: Path) -> pd.Series:
    """Both parts of the run together (timing.csv: one row per Snakemake invocation)."""
    return pd.read_csv(here / "timing.csv")[["jobs", "wall_s", "user_s", "sys_s"]].sum()


def _load(here: Path) -> pd.Series:
    return pd.read_csv(here / "run.csv")["load1"]


def _minutes(seconds: float) -> str:
    return f"{int(seconds) // 60} min {int(seconds) % 60} s"


TABLES = {name: (lambda here, name=name: _table(here, name)) for name in SWEEPS}

VALUES = {
    "jobs": lambda here: num(_timing(here)["jobs"]),
    "wall": lambda here: _minutes(_timing(here)["wall_s"]),
    "cpu": lambda here: _minutes(_timing(here)["user_s"] + _timing(here)["sys_s"]),
    "parts": lambda here: " and ".join(_minutes(v) for v in pd.read_csv(here / "timing.csv")["wall_s"]),
    "load_span": lambda here: span(_load(here), lambda v: f"{v:.1f}"),
    "load_mean": lambda here: f"{_load(here).mean():.1f}",
    "samples": lambda here: str(len(_load(here))),
    "networks": lambda here: str(sum(len(_sweep(here, n)) for n in SWEEPS)),
    "train_seconds": lambda here: span(
        pd.concat([_sweep(here, n)["train_seconds"] for n in SWEEPS]), lambda v: f"{v:.0f}"
    ),
    # init std: members 0.01, 0.1, 1.0
    "init_dense": lambda here: _cells(here, "init_std", [0, 1, 2], 0),
    "init_ticket_last": lambda here: _cells(here, "init_std", [0, 1], -1),
    "init_reinit_last": lambda here: _cells(here, "init_std", [0, 1], -1, "reinit"),
    "init_adv_last": lambda here: _advantages(here, "init_std", [0, 1]),
    "init_big_ticket_last": lambda here: _cells(here, "init_std", [2], -1),
    "init_big_reinit_last": lambda here: _cells(here, "init_std", [2], -1, "reinit"),
    "init_big_below": lambda here: _below_reinit(here, "init_std", 2),
    # widths: 300-100, 100-30
    "hidden_dense": lambda here: _cells(here, "hidden", [0, 1], 0),
    "hidden_ticket_last": lambda here: _cells(here, "hidden", [0, 1], -1),
    "hidden_reinit_last": lambda here: _cells(here, "hidden", [0, 1], -1, "reinit"),
    "hidden_adv_last": lambda here: _advantages(here, "hidden", [0, 1]),
    # rates 0.2, 0.5, 0.8 per round
    "rate_dense": lambda here: _cells(here, "rate", [0], 0),
    "rate_slow_last": lambda here: _cells(here, "rate", [0], -1),
    "rate_mid_last": lambda here: _cells(here, "rate", [1], -1),
    "rate_mid_reinit_last": lambda here: _cells(here, "rate", [1], -1, "reinit"),
    "rate_fast_r1": lambda here: _cells(here, "rate", [2], 1),
    "rate_fast_r1_reinit": lambda here: _cells(here, "rate", [2], 1, "reinit"),
    "rate_fast_last": lambda here: _cells(here, "rate", [2], -1),
    "rate_fast_reinit_last": lambda here: _cells(here, "rate", [2], -1, "reinit"),
    # rounds 1, 3, 6 to 12.5%
    "rounds_dense": lambda here: _cells(here, "rounds", [0], 0),
    "rounds_ticket_last": lambda here: _cells(here, "rounds", [0, 1, 2], -1),
    "rounds_reinit_last": lambda here: _cells(here, "rounds", [0, 1, 2], -1, "reinit"),
    "rounds_adv_last": lambda here: _advantages(here, "rounds", [0, 1, 2]),
    "rounds_mid_50_25": lambda here: _cells(here, "rounds", [1, 1], [1, 2]),
    "rounds_slow_50_25": lambda here: _cells(here, "rounds", [2, 2], [2, 4]),
    "train_seconds_median": lambda here: (
        f"{pd.concat([_sweep(here, n)['train_seconds'] for n in SWEEPS]).median():.0f}"
    ),
}
