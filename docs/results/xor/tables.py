"""Tables and numbers of the xor page, from its committed CSVs: the paper's numbers (paper_table1.csv,
paper_table2.csv), the default study's tables (table1.csv, table2.csv, from `lth xor-tables`), the
sensitivity study (sensitivity/*_grid.csv, from `lth xor-sensitivity`) and the closest setup's
tables (paper_setup/table1.csv, paper_setup/table2.csv: the pipeline's study xor_paper_setup).
Distances to the paper are computed by the sensitivity study's own scoring (lth.studies.xor_sensitivity)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
from mdtable import markdown

from lth.studies.xor_sensitivity import distances, row_from_tables

MODES = {"oneshot": "one-shot", "iterative": "iterative"}
STUDIES = {"default setup": ".", "closest setup": "paper_setup"}


def _csv(here: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(here / name)


def _one(value: float) -> str:
    """One decimal, halves rounded up as written in the CSV (97.55 -> 97.6, not float's 97.5)."""
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _pair(db: float, zl: float) -> str:
    return f"{db:.1f} / {zl:.1f}"


def _table1(here: Path, folder: str) -> str:
    t1 = _csv(here, f"{folder}/table1.csv")
    return markdown(
        pd.DataFrame(
            {
                "hidden units h": t1["width"],
                "DB success": [f"{d:.1f}% ({ci})" for d, ci in zip(t1["db_success_pct"], t1["db_ci95_pct"])],
                "ZL success": [f"{z:.1f}%" for z in t1["zl_success_pct"]],
            }
        )
    )


def _table2(here: Path, folder: str) -> str:
    """DB success % by heuristic and mode; the best 2-unit values in bold."""
    t2 = _csv(here, f"{folder}/table2.csv")
    best = {col: t2[t2["units"] == 2][col].max() for col in ("db_success_pct", "db_if_dense_db_pct")}
    rows = []
    for (heuristic, mode), group in t2.groupby(["heuristic", "mode"], sort=False):
        row = {"heuristic": heuristic, "mode": MODES[mode]}
        for col, suffix in (("db_success_pct", ""), ("db_if_dense_db_pct", ", dense succeeded")):
            for units in (4, 2):
                value = group[group["units"] == units][col].iloc[0]
                text = _one(value)
                row[f"{units} units{suffix}"] = f"**{text}**" if units == 2 and value == best[col] else text
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def widths_table(here: Path) -> str:
    """Table 1 side by side: the paper, the default study and the closest setup found."""
    paper = _csv(here, "paper_table1.csv")
    studies = {name: _csv(here, f"{folder}/table1.csv").set_index("width") for name, folder in STUDIES.items()}
    rows = []
    for _, p in paper.iterrows():
        row = {"hidden units h": int(p["width"]), "paper DB / ZL (%)": _pair(p["db_pct"], p["zl_pct"])}
        for name, t1 in studies.items():
            row[f"{name} DB / ZL (%)"] = _pair(
                t1.loc[p["width"], "db_success_pct"], t1.loc[p["width"], "zl_success_pct"]
            )
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def pruning_table(here: Path) -> str:
    """Table 2 side by side: DB / ZL % of the nets pruned to 4 and 2 units, reset and retrained."""
    studies = {name: _csv(here, f"{folder}/table2.csv") for name, folder in STUDIES.items()}
    rows = []
    for (heuristic, mode), _ in studies["closest setup"].groupby(["heuristic", "mode"], sort=False):
        row = {"heuristic": heuristic, "mode": MODES[mode]}
        for units in (4, 2):
            for name, t2 in studies.items():
                r = t2[(t2["heuristic"] == heuristic) & (t2["mode"] == mode) & (t2["units"] == units)].iloc[0]
                row[f"{units} units, {name.split()[0]}"] = _pair(r["db_success_pct"], r["zl_success_pct"])
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def distance_table(here: Path) -> str:
    """Mean |ours - paper| (percentage points) of the two studies run in full, by table."""
    rows = []
    for name, folder in STUDIES.items():
        d = distances(row_from_tables(_csv(here, f"{folder}/table1.csv"), _csv(here, f"{folder}/table2.csv")))
        t2 = _csv(here, f"{folder}/table2.csv")
        two = t2[t2["units"] == 2]["db_success_pct"]
        rows.append(
            {
                "study": name,
                "Table 1 (10 numbers)": f"{d['table1_distance']:.1f}",
                "Table 2 (pruned-to-2 DB range)": f"{d['table2_distance']:.1f}",
                "both (12 numbers)": f"{d['distance']:.1f}",
                "pruned to 2 units: DB range": f"{two.min():.1f}-{two.max():.1f}%",
            }
        )
    return markdown(pd.DataFrame(rows))


def _setup(row: pd.Series) -> str:
    """A sensitivity row's setting in words."""
    if row["optimizer"] == "adam":
        opt = f"Adam {row['lr']:g}"
    else:
        opt = f"SGD {row['lr']:g}" + (f" (momentum {row['momentum']:g})" if row["momentum"] else "")
    init = "Glorot" if row["init"] == "glorot_normal" else f"N(0, {row['init_std']:g})"
    bias = {"zero": "0", "constant": f"{row['bias_scale']:g}", "normal": f"N(0, {row['bias_scale']:g})"}[
        row["bias_init"]
    ]
    return f"{opt}, {init}, biases {bias}, {int(row['iterations']):,} it"


def _sensitivity(here: Path, name: str) -> str:
    rows = []
    for _, r in _csv(here, f"sensitivity/{name}").iterrows():
        row = {"setting": _setup(r), "distance": f"{r['distance']:.1f}"}
        for w in (10, 8, 6, 4, 2):
            row[f"h={w} DB / ZL"] = _pair(r[f"db_h{w}"], r[f"zl_h{w}"])
        row["wall s"] = f"{r['seconds']:.0f}"
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def paper_pruned_range(here: Path) -> str:
    p = _csv(here, "paper_table2.csv").iloc[0]
    return f"{p['db_min_pct']:.1f}-{p['db_max_pct']:.1f}%"


def dense_succeeded(here: Path) -> str:
    t1 = _csv(here, "table1.csv")
    t1 = t1[t1["width"] == 10].iloc[0]
    return f"{round(t1['nets'] * t1['db_success_pct'] / 100):,}"


TABLES = {
    "table1": lambda here: _table1(here, "."),
    "table2": lambda here: _table2(here, "."),
    "closest_table1": lambda here: _table1(here, "paper_setup"),
    "closest_table2": lambda here: _table2(here, "paper_setup"),
    "widths": widths_table,
    "pruning": pruning_table,
    "distances": distance_table,
    "sensitivity_table1": lambda here: _sensitivity(here, "table1_grid.csv"),
    "sensitivity_iterations": lambda here: _sensitivity(here, "iterations_grid.csv"),
}
VALUES = {"paper_pruned_range": paper_pruned_range, "dense_succeeded": dense_succeeded}
