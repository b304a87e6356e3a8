"""Markdown tables from pandas frames, for the generated parts of the results pages.

Kept here rather than using ``DataFrame.to_markdown`` so the docs need no extra package (tabulate).
"""

from __future__ import annotations

import pandas as pd


def _cell(value, fmt: str | None) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format(value, fmt)
    return str(value)


def markdown(df: pd.DataFrame, floatfmt: str | dict[str, str] = ".1f") -> str:
    """A GitHub table of ``df`` (its index is dropped): floats use ``floatfmt``, one format or a
    column → format mapping (columns not named keep plain ``str``); missing values print as '–'."""
    fmts = floatfmt if isinstance(floatfmt, dict) else {c: floatfmt for c in df.columns}
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + " --- |" * len(df.columns)]
    for row in df.itertuples(index=False):
        cells = []
        for col, value in zip(df.columns, row):
            fmt = fmts.get(col)
            if isinstance(value, float) and value.is_integer() and col not in fmts:
                value = int(value)
            cells.append(_cell(value, fmt if isinstance(value, float) else None))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
