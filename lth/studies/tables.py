"""Tables of the studies: XOR success rates, and HTML renderings of any table.

Snakemake's report shows images and HTML inline but offers CSV files only as downloads, so
every study table is also written as a small self-contained HTML page (`write_html_table`).
Kept apart from the XOR training code so that editing a table re-runs only the table jobs.
"""

from __future__ import annotations

import html
import os

import pandas as pd

from lth.io import atomic_path

CSS = (
    "body{font-family:sans-serif;font-size:13px;margin:12px}"
    "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "th{background:#f0f0f0}h3{font-size:14px}"
)


def write_html_table(path: str | os.PathLike, frame: pd.DataFrame, title: str, note: str = "") -> None:
    """A standalone HTML page holding ``frame`` as a table, with a title and an optional note."""
    body = frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body><h3>{html.escape(title)}</h3>{body}"
        + (f"<p>{html.escape(note)}</p>" if note else "")
        + "</body></html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page)


def _rate(successes: pd.Series) -> dict:
    """Success count, rate and its exact (Clopper-Pearson) 95% interval."""
    from scipy.stats import binomtest

    k, n = int(successes.sum()), len(successes)
    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return {"successes": k, "rate": k / n, "ci_low": ci.low, "ci_high": ci.high}


def success_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Success rates (percent) per group: DB and ZL, with 95% intervals and the number of nets."""
    rows = []
    for key, group in frame.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key))
        row["nets"] = len(group)
        for name in ("db", "zl"):
            rate = _rate(group[name])
            row[f"{name}_success_pct"] = round(100 * rate["rate"], 2)
            row[f"{name}_ci95_pct"] = f"{100 * rate['ci_low']:.1f}-{100 * rate['ci_high']:.1f}"
        rows.append(row)
    return pd.DataFrame(rows)


def table1(dense: pd.DataFrame, widths) -> pd.DataFrame:
    """Table 1: success of randomly initialised networks per hidden width (in ``widths`` order)."""
    order = {w: i for i, w in enumerate(widths)}
    frame = dense.sort_values("width", key=lambda c: c.map(order), kind="stable")
    return success_table(frame, ["width"])


def table2(pruned: pd.DataFrame, dense: pd.DataFrame) -> pd.DataFrame:
    """Table 2: success of pruned, reset and retrained networks per heuristic, mode and unit count.

    ``dense`` holds the outcomes of the networks before pruning (Table 1's row of their width);
    ``db_if_dense_db_pct`` is the DB success among the networks whose unpruned net succeeded, as
    pruning a network that never learned XOR is not expected to find a ticket.
    """
    frame = pruned.sort_values("units", ascending=False, kind="stable")
    table = success_table(frame, ["units", "heuristic", "mode"])
    learned = frame["net"].map(dense.set_index("net")["db"])
    conditional = frame[learned.astype(bool)].groupby(["units", "heuristic", "mode"])["db"].mean() * 100
    keys = list(zip(table["units"], table["heuristic"], table["mode"]))
    table["db_if_dense_db_pct"] = [round(conditional.get(k, float("nan")), 2) for k in keys]
    return table
