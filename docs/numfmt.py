"""Number formats shared by the results pages' ``tables.py``, so a page's prose and its tables
spell the same quantity the same way (importable like ``mdtable``: ``docs/`` is on the path)."""

from __future__ import annotations

from collections.abc import Iterable


def pct(fraction: float, digits: int = 2) -> str:
    """A fraction as a percentage without the sign: ``pct(0.97845) == '97.85'``."""
    return f"{100 * fraction:.{digits}f}"


def num(value: float, digits: int = 0) -> str:
    """A number with thousands separators: ``num(4500) == '4,500'``, ``num(0.125, 2) == '0.12'``."""
    return f"{value:,.{digits}f}"


def span(values: Iterable[float], fmt=num) -> str:
    """'low-high' of the formatted minimum and maximum, or one value when they print the same."""
    values = list(values)
    low, high = fmt(min(values)), fmt(max(values))
    return low if low == high else f"{low}-{high}"


def both(values: Iterable[float], fmt=pct, unit: str = "%") -> str:
    """Per-trial values in trial order, 'a% and b%' (or 'a%, b% and c%')."""
    items = [f"{fmt(v)}{unit}" for v in values]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
