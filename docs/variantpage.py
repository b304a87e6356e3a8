"""Shared by the results pages of the one-trial variants run (``configs/lenet_mnist_variants.yaml``:
``lenet_mnist_oneshot``, ``lenet_mnist_finetune``, ``lenet_mnist_late_rewinding``) and of
``configs/lenet_mnist_inverse_clamped.yaml`` (``lenet_mnist_inverse_clamped``), so their
``tables.py`` only say which lines of which summary they compare (importable like ``mdtable``:
``docs/`` is on the path).

Every page folder holds the run's ``run.csv`` (wall time, jobs, CPU time, load) and one or more
pipeline summaries of one trial each; round 0 is the dense network, which every variant shares.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown
from numfmt import num, pct


def value(here: Path, csv: str, variant: str, round_: int, column: str) -> float:
    """The trial's ``column`` for a variant at a round of ``csv`` (round 0: the dense network, the
    variant's own where it trains one, as the clamped ablation does, else the ticket's)."""
    s = pd.read_csv(here / csv)
    if not round_ and not ((s["round"] == 0) & (s["variant"] == variant)).any():
        variant = "ticket"
    rows = s[(s["round"] == round_) & (s["variant"] == variant)]
    assert len(rows) == 1, f"{csv}: {len(rows)} rows for {variant} at round {round_}"
    return rows[column].iloc[0]


def rounds(here: Path, csv: str) -> list[int]:
    return sorted(pd.read_csv(here / csv)["round"].unique())


def side_by_side(here: Path, lines: dict[str, tuple[str, str]]) -> str:
    """One row per round: weights remaining, then accuracy at early stop and early-stop iteration of
    each line; ``lines`` maps a column label to (csv, variant). All lines share the rounds' sparsities."""
    (csv0, variant0), *_ = lines.values()
    rows = []
    for round_ in rounds(here, csv0):
        remaining = {value(here, csv, v, round_, "weights_remaining") for csv, v in lines.values()}
        assert len(remaining) == 1, f"round {round_}: the lines differ in sparsity {remaining}"
        row = {"round": round_, "weights remaining (%)": pct(remaining.pop(), 1)}
        for label, (csv, v) in lines.items():
            row[f"{label}: accuracy (%)"] = pct(value(here, csv, v, round_, "early_stop_test_accuracy"))
        for label, (csv, v) in lines.items():
            row[f"{label}: early stop"] = num(value(here, csv, v, round_, "early_stop_iteration"))
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def values(here_rounds: range, lines: dict[str, tuple[str, str]]) -> dict:
    """Inline numbers per line name and round: ``remaining_r<r>``, ``acc_<line>_r<r>``,
    ``stop_<line>_r<r>`` and, for every other line against the first, ``gap_<line>_r<r>`` (first
    minus it, accuracy points, signed), and over the sparse rounds how often the first line is
    ``higher_<line>``/``lower_<line>`` in accuracy and stops ``later_<line>``/``earlier_<line>``."""
    (first, (csv0, v0)), *others = lines.items()
    out = {
        f"remaining_r{r}": (lambda r: lambda here: pct(value(here, csv0, v0, r, "weights_remaining"), 1))(r)
        for r in here_rounds
    }
    for name, (csv, v) in lines.items():
        for r in here_rounds:
            out[f"acc_{name}_r{r}"] = (
                lambda csv, v, r: lambda here: pct(value(here, csv, v, r, "early_stop_test_accuracy"))
            )(csv, v, r)
            out[f"stop_{name}_r{r}"] = (
                lambda csv, v, r: lambda here: num(value(here, csv, v, r, "early_stop_iteration"))
            )(csv, v, r)
    sparse = [r for r in here_rounds if r]
    for name, (csv, v) in others:
        for r in here_rounds:
            out[f"gap_{name}_r{r}"] = (lambda csv, v, r: lambda here: gap(here, (csv0, v0), (csv, v), r))(csv, v, r)
        for column, key in (("early_stop_test_accuracy", "higher"), ("early_stop_iteration", "later")):
            for sign, word in ((1, key), (-1, {"higher": "lower", "later": "earlier"}[key])):
                out[f"{word}_{name}"] = (
                    lambda csv, v, column, sign: (
                        lambda here: str(
                            sum(
                                sign * (value(here, csv0, v0, r, column) - value(here, csv, v, r, column)) > 0
                                for r in sparse
                            )
                        )
                    )
                )(csv, v, column, sign)
    out["sparse_rounds"] = lambda here: str(len(sparse))
    return out


def gap(here: Path, a: tuple[str, str], b: tuple[str, str], round_: int, round_b: int | None = None) -> str:
    """Accuracy at early stop of line ``a`` minus line ``b`` at a round (``b`` at ``round_b`` when
    given, e.g. 0 for a line's own dense network), in points, signed."""
    acc = [
        value(here, csv, v, r, "early_stop_test_accuracy")
        for (csv, v), r in ((a, round_), (b, round_ if round_b is None else round_b))
    ]
    return f"{100 * (acc[0] - acc[1]):+.2f}"


def run(here: Path) -> pd.Series:
    return pd.read_csv(here / "run.csv").iloc[0]


RUN_VALUES = {
    "jobs": lambda here: f"{run(here)['jobs']:.0f}",
    "trained_networks": lambda here: f"{run(here)['trained_networks']:.0f}",
    "wall": lambda here: f"{run(here)['wall_seconds'] // 60:.0f} min {run(here)['wall_seconds'] % 60:.0f} s",
    "cpu_minutes": lambda here: f"{run(here)['cpu_seconds'] / 60:.1f}",
    "load_mean": lambda here: f"{run(here)['load1_mean']:.1f}",
    "load_max": lambda here: f"{run(here)['load1_max']:.1f}",
}
