"""Tables and inline numbers of this page, from its committed CSVs (see docs/build_tables.py).

``summary.csv`` is the pipeline's summary of experiment ``lenet_mnist_inverse_clamped`` of
``configs/lenet_mnist_inverse_clamped.yaml`` (one row per trained network of its one trial: the
dense network, the clamped dense network, and per round the ticket, the inverse and clamped
ablations and the random pruning control); ``run.csv`` the run's wall time, jobs, CPU time and the
machine's load.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from numfmt import span
from variantpage import RUN_VALUES, gap, side_by_side, values

LINES = {
    "ticket": ("summary.csv", "ticket"),
    "inverse": ("summary.csv", "inverse"),
    "clamped": ("summary.csv", "clamped"),
    "random": ("summary.csv", "random"),
}
LABELS = {
    "ticket": "ticket (smallest removed)",
    "inverse": "inverse (largest removed)",
    "clamped": "clamped training",
    "random": "random pruning",
}


def table(here: Path) -> str:
    return side_by_side(here, {LABELS[name]: line for name, line in LINES.items()})


TABLES = {"accuracy": table}
VALUES = {**values(range(0, 7), LINES), **RUN_VALUES}
# The clamped line against random pruning (clamped minus random, points), and each ablation against
# its own dense network (the clamped ablation trains its own; the inverse one shares the ticket's).
VALUES.update(
    {
        f"clamped_vs_random_r{r}": (lambda r: lambda here: gap(here, LINES["clamped"], LINES["random"], r))(r)
        for r in range(1, 7)
    }
)
VALUES.update(
    {
        f"{name}_vs_dense_r{r}": (lambda name, r: lambda here: gap(here, LINES[name], LINES[name], r, 0))(name, r)
        for name in ("inverse", "clamped")
        for r in range(1, 7)
    }
)


def train_seconds(here: Path, inverse: bool) -> str:
    """The span of the training jobs' times from round 3 on, of the inverse line or of the others."""
    s = pd.read_csv(here / "summary.csv")
    late = s[(s["round"] >= 3) & ((s["variant"] == "inverse") == inverse)]
    return span(late["train_seconds"])


VALUES.update(
    {
        "train_s_inverse_late": lambda here: train_seconds(here, True),
        "train_s_others_late": lambda here: train_seconds(here, False),
    }
)
