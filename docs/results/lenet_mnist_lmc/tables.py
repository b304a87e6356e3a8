"""Tables and inline numbers of this page, from its committed CSVs (see docs/build_tables.py).

``instability.csv`` and ``imp_rewinding.csv`` are the run's tables (one row per trial, round, k
and split; one row per trial, k and round), ``summary.csv`` its summary of the experiment's own
IMP run (rewinding to 0), ``run.csv`` the run's wall time, job count and the machine's load.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown

THRESHOLD = 0.02  # the instability block's threshold (the paper's 2%)


def _instability(here: Path) -> pd.DataFrame:
    t = pd.read_csv(here / "instability.csv")
    return t[t["split"] == "test"]


def _imp(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "imp_rewinding.csv")


def _run(here: Path) -> pd.Series:
    return pd.read_csv(here / "run.csv").iloc[0]


def _sparse_round(here: Path) -> int:
    return int(_instability(here)["round"].max())


def _span(values: pd.Series, scale: float = 100, fmt: str = ".2f") -> str:
    """Mean (min-max over trials)."""
    return f"{scale * values.mean():{fmt}} ({scale * values.min():{fmt}}-{scale * values.max():{fmt}})"


def vs_k_table(here: Path) -> str:
    """Per k: instability of the dense network and of the sparse IMP subnetwork, and the sparse
    subnetwork's test accuracy at early stop and at the end of training."""
    inst, imp, sparse = _instability(here), _imp(here), _sparse_round(here)
    rows = []
    for k in sorted(inst["k"].unique()):
        dense_i = inst[(inst["k"] == k) & (inst["round"] == 0)]["instability"]
        sparse_i = inst[(inst["k"] == k) & (inst["round"] == sparse)]["instability"]
        acc = imp[(imp["k"] == k) & (imp["round"] == sparse)]
        rows.append(
            {
                "k": k,
                "dense instability (%)": _span(dense_i),
                f"round {sparse} instability (%)": _span(sparse_i),
                f"round {sparse} stable (≤ 2%)": f"{int((sparse_i <= THRESHOLD).sum())} of {len(sparse_i)}",
                f"round {sparse} test acc. at early stop (%)": _span(acc["early_stop_test_accuracy"]),
                f"round {sparse} final test acc. (%)": _span(acc["final_test_accuracy"]),
            }
        )
    return markdown(pd.DataFrame(rows))


def _dense_acc(here: Path, column: str) -> pd.Series:
    imp = _imp(here)
    return imp[(imp["round"] == 0)].drop_duplicates("trial")[column]


def dense_acc(here: Path) -> str:
    return _span(_dense_acc(here, "early_stop_test_accuracy"))


def dense_final(here: Path) -> str:
    return _span(_dense_acc(here, "final_test_accuracy"))


def remaining(here: Path) -> str:
    return f"{100 * _instability(here).query('round == round.max()')['weights_remaining'].iloc[0]:.1f}"


def sparse_round(here: Path) -> str:
    return str(_sparse_round(here))


def _sparse_acc_by_k(here: Path, column: str) -> pd.Series:
    imp = _imp(here)
    return imp[imp["round"] == _sparse_round(here)].groupby("k")[column].mean()


def best_k(here: Path) -> str:
    return str(int(_sparse_acc_by_k(here, "early_stop_test_accuracy").idxmax()))


def acc_k0(here: Path) -> str:
    return f"{100 * _sparse_acc_by_k(here, 'early_stop_test_accuracy').loc[0]:.2f}"


def acc_best(here: Path) -> str:
    return f"{100 * _sparse_acc_by_k(here, 'early_stop_test_accuracy').max():.2f}"


def _mean_instability(here: Path, round_: int) -> pd.Series:
    inst = _instability(here)
    return inst[inst["round"] == round_].groupby("k")["instability"].mean()


def sparse_inst_k0(here: Path) -> str:
    return f"{100 * _mean_instability(here, _sparse_round(here)).loc[0]:.2f}"


def sparse_inst_max(here: Path) -> str:
    return f"{100 * _mean_instability(here, _sparse_round(here)).max():.2f}"


def dense_inst_max(here: Path) -> str:
    return f"{100 * _mean_instability(here, 0).max():.2f}"


def jobs(here: Path) -> str:
    return f"{int(_run(here)['jobs'])}"


def trained(here: Path) -> str:
    return f"{int(_run(here)['trained_networks'])}"


def wall(here: Path) -> str:
    minutes = int(round(_run(here)["wall_seconds"] / 60))
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def load(here: Path) -> str:
    return str(_run(here)["load_samples"])


TABLES = {"vs_k": vs_k_table}
VALUES = {
    fn.__name__: fn
    for fn in (
        dense_acc,
        dense_final,
        remaining,
        sparse_round,
        best_k,
        acc_k0,
        acc_best,
        sparse_inst_k0,
        sparse_inst_max,
        dense_inst_max,
        jobs,
        trained,
        wall,
        load,
    )
}
