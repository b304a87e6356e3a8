"""Which training setup brings the XOR study closest to the first LTH paper's Tables 1 and 2?

The paper (arXiv 1803.03635 v1, section 2) gives its success rates but, in the text available
to us, not the optimiser, learning rate, weight and bias initialisation or iterations behind
them. This module trains the study under each setting of a grid (overrides of a base study)
and scores every setting by its distance to the paper's numbers, so the choice of setup is a
reproducible computation (`lth xor-sensitivity`), not a judgement made by eye.

The distance is the mean absolute difference in percentage points over the paper's numbers
that a setting's results cover: Table 1's DB and ZL success at h = 10, 8, 6, 4, 2 (ten numbers)
and, when the pruning runs are made, Table 2's range of DB success of the pruned 2-unit
networks (82.4-91.5% over the paper's pruning strategies; its two ends are compared with the
lowest and highest of ours over heuristics and modes). Training is the study's own code
(`lth.studies.xor`), so a setting's numbers are exactly those of a study run with it.
The scoring needs no torch (`lth.studies.xor` is imported only to train), so the docs page
scores a study's committed tables with the same `distances` (`row_from_tables`).
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lth.errors import LthError
from lth.studies import XorStudy

# The paper's Table 1: hidden units -> (DB %, ZL %) of 1,000 random inits.
PAPER_TABLE1 = {10: (98.5, 92.9), 8: (96.8, 87.5), 6: (92.5, 76.8), 4: (78.3, 55.3), 2: (49.1, 17.6)}
# The paper's Table 2 as far as it is available to us: the lowest and highest DB success (%) of
# 10-unit networks pruned to 2 units, reset and retrained, over its pruning strategies.
PAPER_PRUNED_2_DB = (82.4, 91.5)
# Settings that describe a cell in the output, in this order (those inert for a cell are blank).
SETUP_KEYS = ("optimizer", "lr", "momentum", "init", "init_std", "bias_init", "bias_scale", "iterations")


def expand_grid(blocks: list[Mapping[str, list]] | Mapping[str, list]) -> list[dict[str, Any]]:
    """The cells of a grid: each block (key -> list of values) is a Cartesian product; blocks are
    joined in order and a cell given twice is kept once. A single mapping is one block."""
    if isinstance(blocks, Mapping):
        blocks = [blocks]
    if not isinstance(blocks, list) or not blocks:
        raise LthError(f"grid: expected a mapping of key -> list of values, or a list of them, got {blocks!r}")
    cells: list[dict[str, Any]] = []
    for i, block in enumerate(blocks):
        if not isinstance(block, Mapping) or not block:
            raise LthError(f"grid block {i}: expected a mapping of key -> list of values, got {block!r}")
        keys = list(block)
        values = [v if isinstance(v, list) else [v] for v in block.values()]
        for combo in itertools.product(*values):
            cell = dict(zip(keys, combo))
            if cell not in cells:
                cells.append(cell)
    return cells


def cell_study(base: XorStudy, overrides: Mapping[str, Any], where: str) -> XorStudy:
    """``base`` with ``overrides`` on top, parsed strictly (errors name ``where.key``). Keys that
    have no effect in the result (e.g. init_std once init is glorot_normal, bias_scale with
    bias_init zero) are dropped, so a grid can cross such keys freely; `sensitivity` then runs
    the cells that collapse into one setting once."""
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(XorStudy)})
    if unknown:
        raise LthError(f"{where}.{unknown[0]}: unknown key of an xor study")
    inert = dataclasses.replace(base, **overrides).inert()
    return XorStudy.from_dict({k: v for k, v in {**base.to_dict(), **overrides}.items() if k not in inert}, where)


def _pct(values: pd.Series) -> float:
    return round(100.0 * float(values.mean()), 1)


def run_cell(study: XorStudy, pruning: bool) -> dict[str, Any]:
    """One setting's results as one row: Table 1's DB/ZL % per width and, with ``pruning``,
    Table 2's DB/ZL % per heuristic, mode and unit count (pruning the prune_from-unit nets)."""
    from lth.studies import xor

    start = time.perf_counter()
    inert = study.inert()
    row: dict[str, Any] = {k: getattr(study, k) for k in SETUP_KEYS if k not in inert}
    nets = {}
    for width in study.dense_widths() if pruning else study.widths:
        theta0, trained, table = xor.dense_run(study, width)
        if width == study.prune_from:
            nets = theta0, trained
        if width in study.widths:
            row[f"db_h{width}"], row[f"zl_h{width}"] = _pct(table["db"]), _pct(table["zl"])
    if pruning:
        for heuristic, mode in itertools.product(study.heuristics, study.modes):
            pruned = xor.pruned_runs(study, *nets, heuristic, mode)
            for units, group in pruned.groupby("units"):
                row[f"db_{heuristic}_{mode}_u{units}"] = _pct(group["db"])
                row[f"zl_{heuristic}_{mode}_u{units}"] = _pct(group["zl"])
    row["seconds"] = round(time.perf_counter() - start, 1)
    return {**row, **distances(row)}


def row_from_tables(table1: pd.DataFrame, table2: pd.DataFrame) -> dict[str, float]:
    """A study's Tables 1 and 2 (the CSVs of `lth xor-tables`) as a `run_cell` row, for `distances`."""
    row = {}
    for _, r in table1.iterrows():
        row[f"db_h{r['width']}"], row[f"zl_h{r['width']}"] = r["db_success_pct"], r["zl_success_pct"]
    for _, r in table2.iterrows():
        key = f"{r['heuristic']}_{r['mode']}_u{r['units']}"
        row[f"db_{key}"], row[f"zl_{key}"] = r["db_success_pct"], r["zl_success_pct"]
    return row


def distances(row: Mapping[str, Any]) -> dict[str, float]:
    """Mean |ours - paper| in percentage points: over Table 1 (``table1_distance``), over the
    pruned 2-unit DB range (``table2_distance``, NaN without pruning runs) and over both (``distance``)."""
    t1 = [
        abs(row[f"{kind}_h{w}"] - paper[i])
        for w, paper in PAPER_TABLE1.items()
        for i, kind in enumerate(("db", "zl"))
        if f"{kind}_h{w}" in row
    ]
    pruned = [v for k, v in row.items() if k.startswith("db_") and k.endswith("_u2")]
    t2 = [abs(min(pruned) - PAPER_PRUNED_2_DB[0]), abs(max(pruned) - PAPER_PRUNED_2_DB[1])] if pruned else []
    mean = lambda xs: round(sum(xs) / len(xs), 2) if xs else float("nan")  # noqa: E731
    return {"table1_distance": mean(t1), "table2_distance": mean(t2), "distance": mean(t1 + t2)}


def sensitivity(base: XorStudy, cells: list[Mapping[str, Any]], pruning: bool = False, log=None) -> pd.DataFrame:
    """Run every distinct setting among ``cells`` (overrides of ``base``); one row per setting,
    closest to the paper first (``cell`` is its index among the distinct settings, in grid order)."""
    studies: list[XorStudy] = []
    for i, overrides in enumerate(cells):
        study = cell_study(base, overrides, f"grid cell {i}")
        if study not in studies:
            studies.append(study)
    rows = []
    for i, study in enumerate(studies):
        rows.append({"cell": i, **run_cell(study, pruning)})
        if log:
            log(f"setting {i + 1}/{len(studies)}: {rows[-1]}")
    frame = pd.DataFrame(rows)
    first = ["cell", *[k for k in SETUP_KEYS if k in frame], "distance", "table1_distance", "table2_distance"]
    frame = frame[first + [c for c in frame if c not in first]]
    return frame.sort_values(["distance", "cell"], kind="stable").reset_index(drop=True)
