"""Tables and numbers of the xor page, from its committed CSVs: the paper's numbers (paper_table1.csv,
paper_table2.csv), the default study's tables (table1.csv, table2.csv), the sensitivity study
(sensitivity/*_grid.csv, written by `lth xor-sensitivity`) and the closest setup's tables
(paper_setup/table1.csv, paper_setup/table2.csv, written by the pipeline's study xor_paper_setup)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mdtable import markdown

MODES = {"oneshot": "one-shot", "iterative": "iterative"}


def _csv(here: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(here / name)


def _setup(row: pd.Series) -> str:
    """A sensitivity row's setting in words."""
    if row["optimizer"] == "adam":
        opt = f"Adam {row['lr']:g}"
    else:
        opt = f"SGD {row['lr']:g}" + (f" (momentum {row['momentum']:g})" if row["momentum"] else "")
    init = "Glorot" if row["init"] == "glorot_normal" else f"N(0, {row['init_std']:g})"
    bias = {"zero": "0", "constant": f"{row['bias_scale']:g}", "normal": f"N(0, {row['bias_scale']:g})"}[row["bias_init"]]
    return f"{opt}, {init}, biases {bias}, {int(row['iterations']):,} it"


def _pair(db: float, zl: float) -> str:
    return f"{db:.1f} / {zl:.1f}"


def widths_table(here: Path) -> str:
    """Table 1 side by side: the paper, our default study, and the closest setup found."""
    paper, ours, closest = _csv(here, "paper_table1.csv"), _csv(here, "table1.csv"), _csv(here, "paper_setup/table1.csv")
    rows = []
    for _, p in paper.iterrows():
        o = ours[ours["width"] == p["width"]].iloc[0]
        c = closest[closest["width"] == p["width"]].iloc[0]
        rows.append({"hidden units h": int(p["width"]), "paper DB / ZL (%)": _pair(p["db_pct"], p["zl_pct"]),
                     "default setup": _pair(o["db_success_pct"], o["zl_success_pct"]),
                     "closest setup": _pair(c["db_success_pct"], c["zl_success_pct"]),
                     "closest setup DB 95% interval": c["db_ci95_pct"]})
    return markdown(pd.DataFrame(rows))


def _sensitivity(here: Path, name: str, pruning: bool) -> str:
    grid = _csv(here, f"sensitivity/{name}")
    rows = []
    for _, r in grid.iterrows():
        row = {"setting": _setup(r), "distance": f"{r['distance']:.1f}"}
        if pruning:
            row["Table 1 distance"] = f"{r['table1_distance']:.1f}"
            row["Table 2 distance"] = f"{r['table2_distance']:.1f}"
        for w in (10, 8, 6, 4, 2):
            row[f"h={w} DB / ZL"] = _pair(r[f"db_h{w}"], r[f"zl_h{w}"])
        if pruning:
            pruned = r[[c for c in grid.columns if c.startswith("db_") and c.endswith("_u2")]]
            row["pruned to 2: DB range"] = f"{pruned.min():.1f}-{pruned.max():.1f}"
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def sensitivity_table1(here: Path) -> str:
    return _sensitivity(here, "table1_grid.csv", pruning=False)


def sensitivity_iterations(here: Path) -> str:
    return _sensitivity(here, "iterations_grid.csv", pruning=False)


def sensitivity_pruning(here: Path) -> str:
    return _sensitivity(here, "pruning_grid.csv", pruning=True)


def pruning_table(here: Path) -> str:
    """Table 2 side by side: DB / ZL % of pruned, reset and retrained nets, default and closest setup."""
    ours, closest = _csv(here, "table2.csv"), _csv(here, "paper_setup/table2.csv")
    rows = []
    for (heuristic, mode), group in closest.groupby(["heuristic", "mode"], sort=False):
        row = {"heuristic": heuristic, "mode": MODES[mode]}
        for units in (4, 2):
            c = group[group["units"] == units].iloc[0]
            o = ours[(ours["heuristic"] == heuristic) & (ours["mode"] == mode) & (ours["units"] == units)].iloc[0]
            row[f"{units} units, default"] = _pair(o["db_success_pct"], o["zl_success_pct"])
            row[f"{units} units, closest setup"] = _pair(c["db_success_pct"], c["zl_success_pct"])
        rows.append(row)
    return markdown(pd.DataFrame(rows))


def paper_pruned_range(here: Path) -> str:
    p = _csv(here, "paper_table2.csv").iloc[0]
    return f"{p['db_min_pct']:.1f}-{p['db_max_pct']:.1f}%"


TABLES = {
    "widths": widths_table,
    "pruning": pruning_table,
    "sensitivity_table1": sensitivity_table1,
    "sensitivity_iterations": sensitivity_iterations,
    "sensitivity_pruning": sensitivity_pruning,
}
VALUES = {"paper_pruned_range": paper_pruned_range}
