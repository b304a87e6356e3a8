"""Tables and inline numbers of this page, from its committed CSVs (see docs/build_tables.py).

``summary.csv`` is the pipeline's summary of the run (one row per trained network);
``run.csv`` holds the run's wall time, the machine's load while it ran (one-minute load average,
sampled every minute until 07:50) and the CPU time of jobs re-timed after the run (two training
jobs and one control start), from which the run's CPU time is estimated.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown

VARIANTS = {
    "ticket": "winning ticket",
    "reinit": "reinit (control 1)",
    "shuffle": "shuffle (control 2)",
    "random": "random pruning",
}
ROUNDS = range(0, 9)


def summary(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "summary.csv")


def stats(here: Path, column: str) -> pd.DataFrame:
    """Mean, min and max over trials of ``column`` per (round, variant)."""
    return summary(here).groupby(["round", "variant"])[column].agg(["mean", "min", "max"])


def remaining(here: Path, round_: int) -> float:
    """Percent of the weights left at a round (the same for every variant and trial)."""
    values = summary(here).query("round == @round_")["weights_remaining"].unique()
    assert len(values) == 1, values
    return 100 * values[0]


def by_round(here: Path, column: str, cell) -> str:
    """One row per round, one column per variant, each cell ``cell(mean, min, max)``."""
    s = stats(here, column)
    rows = []
    for round_ in sorted({r for r, _ in s.index}):
        row = {"round": round_, "weights remaining (%)": f"{remaining(here, round_):.1f}"}
        for variant, label in VARIANTS.items():
            row[label] = cell(*s.loc[(round_, variant)]) if (round_, variant) in s.index else None
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def accuracy_table(here: Path) -> str:
    return by_round(
        here, "early_stop_test_accuracy", lambda mean, lo, hi: f"{100 * mean:.2f} ({100 * lo:.2f}–{100 * hi:.2f})"
    )


def early_stop_table(here: Path) -> str:
    return by_round(here, "early_stop_iteration", lambda mean, lo, hi: f"{mean:,.0f} ({lo:,.0f}–{hi:,.0f})")


def accuracy(variant: str, round_: int):
    return lambda here: f"{100 * stats(here, 'early_stop_test_accuracy').loc[(round_, variant), 'mean']:.2f}"


def accuracy_range(variant: str, round_: int):
    def value(here: Path) -> str:
        row = stats(here, "early_stop_test_accuracy").loc[(round_, variant)]
        return f"{100 * row['min']:.2f}–{100 * row['max']:.2f}"

    return value


def stop(variant: str, round_: int):
    return lambda here: f"{stats(here, 'early_stop_iteration').loc[(round_, variant), 'mean']:,.0f}"


def stop_ratio(variant: str, round_: int):
    """How many times later than the ticket a control reaches its minimum validation loss."""

    def value(here: Path) -> str:
        s = stats(here, "early_stop_iteration")["mean"]
        return f"{s.loc[(round_, variant)] / s.loc[(round_, 'ticket')]:.1f}"

    return value


def spread(here: Path, rounds: range) -> str:
    """Largest minus smallest mean accuracy (points) over the dense network and every variant of ``rounds``."""
    means = stats(here, "early_stop_test_accuracy")["mean"]
    chosen = means[[r in rounds or r == 0 for r, _ in means.index]]
    return f"{100 * (chosen.max() - chosen.min()):.2f}"


def mean_extreme(variant: str, column: str, how: str, scale: float, fmt: str):
    """The smallest or largest (``how``) per-round mean of a control over the rounds it ran."""

    def value(here: Path) -> str:
        means = stats(here, column)["mean"].xs(variant, level="variant")
        return format(scale * getattr(means, how)(), fmt)

    return value


def controls_stop(round_: int, how: str):
    """The earliest or latest early stop of any control network at a round."""

    def value(here: Path) -> str:
        rows = summary(here)
        s = rows.loc[(rows["round"] == round_) & (rows["variant"] != "ticket"), "early_stop_iteration"]
        return f"{getattr(s, how)():,.0f}"

    return value


def run(here: Path) -> pd.Series:
    return pd.read_csv(here / "run.csv").iloc[0]


def train_seconds(here: Path, stat: str) -> str:
    return f"{getattr(summary(here)['train_seconds'], stat)():.0f}"


def cpu_minutes(here: Path) -> str:
    """Estimated CPU time: every training job at the mean of the two re-timed ones, every short
    job (prune, rewind, control start, summary, figures, analyses) at the re-timed control start."""
    r = run(here)
    train = (r["train_job_cpu_seconds_a"] + r["train_job_cpu_seconds_b"]) / 2
    return f"{(r['trained_networks'] * train + r['short_jobs'] * r['short_job_cpu_seconds']) / 60:.0f}"


TABLES = {"accuracy": accuracy_table, "early_stop": early_stop_table}
VALUES = {
    **{f"remaining_r{r}": (lambda r: lambda here: f"{remaining(here, r):.1f}")(r) for r in ROUNDS},
    **{f"acc_{v}_r{r}": accuracy(v, r) for v in VARIANTS for r in ROUNDS if r or v == "ticket"},
    **{f"range_{v}_r{r}": accuracy_range(v, r) for v in VARIANTS for r in ROUNDS if r or v == "ticket"},
    **{f"stop_{v}_r{r}": stop(v, r) for v in VARIANTS for r in ROUNDS if r or v == "ticket"},
    **{f"stop_ratio_{v}_r{r}": stop_ratio(v, r) for v in VARIANTS if v != "ticket" for r in ROUNDS if r},
    "spread_r1_r5": lambda here: spread(here, range(1, 6)),
    "reinit_mean_min": mean_extreme("reinit", "early_stop_test_accuracy", "min", 100, ".2f"),
    "reinit_mean_max": mean_extreme("reinit", "early_stop_test_accuracy", "max", 100, ".2f"),
    "controls_stop_min_r8": controls_stop(8, "min"),
    "controls_stop_max_r8": controls_stop(8, "max"),
    "networks": lambda here: f"{len(summary(here))}",
    "train_seconds_median": lambda here: train_seconds(here, "median"),
    "train_seconds_min": lambda here: train_seconds(here, "min"),
    "train_seconds_max": lambda here: train_seconds(here, "max"),
    "jobs": lambda here: f"{run(here)['jobs']:.0f}",
    "wall": lambda here: f"{run(here)['wall_seconds'] // 3600:.0f} h {run(here)['wall_seconds'] % 3600 // 60:.0f} min",
    "cpu_minutes": cpu_minutes,
    "train_cpu_a": lambda here: f"{run(here)['train_job_cpu_seconds_a']:.1f}",
    "train_cpu_b": lambda here: f"{run(here)['train_job_cpu_seconds_b']:.1f}",
    "short_cpu": lambda here: f"{run(here)['short_job_cpu_seconds']:.1f}",
    "load_mean": lambda here: f"{run(here)['load1_mean']:.1f}",
    "load_max": lambda here: f"{run(here)['load1_max']:.1f}",
}
