"""Tables over all trained networks of an experiment.

`collect` reads the JSON sidecars and metric CSVs the training jobs wrote (no weights are loaded)
and returns two tidy tables: one row per trained network (early-stop metrics, fraction of weights
remaining overall and per layer, seeds) and every evaluation point of every run (for curves).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from lth.errors import LthError
from lth.io import read_json_object
from lth.variants import ORDER

KEY_COLUMNS = ["experiment", "trial", "round", "variant"]
METRICS_COLUMNS = ["iteration", "split", "loss", "accuracy"]


def _read_sidecar(path: Path) -> dict:
    record = read_json_object(path, "training sidecar")
    missing = [k for k in ("context", "summary", "counts", "sizes") if not isinstance(record.get(k), dict)]
    if missing:
        raise LthError(f"'{path}' is not a training sidecar ({', '.join(missing)} missing or not a mapping)")
    return record


def _read_metrics(path: Path) -> pd.DataFrame:
    """A training job's metrics CSV; an empty, corrupt or foreign one raises LthError naming it."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise LthError(f"metrics file not found: '{path}'") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise LthError(f"metrics file '{path}' is not a CSV table ({str(exc).splitlines()[0]})") from None
    missing = [c for c in METRICS_COLUMNS if c not in frame.columns]
    if missing:
        raise LthError(f"metrics file '{path}' lacks the columns {', '.join(missing)}")
    return frame


def summary_row(record: dict) -> dict:
    """One summary row from a training sidecar."""
    context = record["context"]
    counts, sizes = record["counts"], record["sizes"]
    row = {key: context.get(key) for key in KEY_COLUMNS}
    row["weights_remaining"] = sum(counts.values()) / sum(sizes.values())
    row.update(record["summary"])
    row.update({f"seed_{k}": v for k, v in sorted(record.get("seeds", {}).items())})
    row.update({f"remaining_{layer}": counts[layer] / sizes[layer] for layer in sorted(counts)})
    return row


def collect(
    sidecars: list[str | os.PathLike], metrics: list[str | os.PathLike], columns: dict | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, curves) for the given training sidecars and their metrics CSVs (same order).

    ``columns``: settings shared by every row (e.g. the per-round pruning rate derived from a
    target), added to the summary after ``weights_remaining``.
    """
    if len(sidecars) != len(metrics):
        raise LthError(f"{len(sidecars)} sidecars but {len(metrics)} metrics files: give one of each per run")
    rows, curves = [], []
    for sidecar, metrics_path in zip(sidecars, metrics):
        row = summary_row(_read_sidecar(Path(sidecar)))
        rows.append(row)
        frame = _read_metrics(Path(metrics_path))
        for key in KEY_COLUMNS + ["weights_remaining"]:
            frame[key] = row[key]
        curves.append(frame)
    summary = _sorted(pd.DataFrame(rows))
    at = summary.columns.get_loc("weights_remaining") + 1
    for offset, (key, value) in enumerate((columns or {}).items()):
        summary.insert(at + offset, key, value)
    curves_frame = _sorted(pd.concat(curves, ignore_index=True), extra=["iteration", "split"])
    return summary, curves_frame


IMP_REWINDING_COLUMNS = [
    "experiment",
    "trial",
    "round",
    "k",
    "weights_remaining",
    "final_test_accuracy",
    "early_stop_test_accuracy",
    "early_stop_iteration",
]


def imp_rewinding_table(sidecars: list[str | os.PathLike], ks: list[int]) -> pd.DataFrame:
    """Test accuracy of the IMP subnetworks rewound to k (Frankle et al. 2020, section 5): one row
    per trained ticket, with the k its IMP run rewinds to (``ks``, same order as ``sidecars``).

    A network's sidecar does not always know its k: round 0 (the dense network) is shared by every
    run, and the experiment's own run is the one rewinding to its rewind_iteration, so the caller
    says. The dense network therefore appears once per k, with the same accuracy, as round 0 of
    each run.
    """
    if len(sidecars) != len(ks):
        raise LthError(f"{len(sidecars)} sidecars but {len(ks)} rewind iterations: give one k per sidecar")
    rows = []
    for sidecar, k in zip(sidecars, ks):
        row = summary_row(_read_sidecar(Path(sidecar)))
        if row["variant"] != "ticket":
            raise LthError(f"'{sidecar}' is a {row['variant']} network, not a ticket of an IMP run")
        rows.append({**row, "k": int(k)})
    frame = pd.DataFrame(rows, columns=[*IMP_REWINDING_COLUMNS, "variant"])[IMP_REWINDING_COLUMNS]
    return frame.sort_values(["experiment", "round", "k", "trial"]).reset_index(drop=True)


def _sorted(frame: pd.DataFrame, extra: list[str] | None = None) -> pd.DataFrame:
    order = {v: i for i, v in enumerate(ORDER)}
    keys = ["experiment", "round", "variant", "trial"] + (extra or [])
    return frame.sort_values(keys, key=lambda col: col.map(order) if col.name == "variant" else col).reset_index(
        drop=True
    )


def combine_sweep(summaries: list[pd.DataFrame], key: str, labels: dict[str, str]) -> pd.DataFrame:
    """One table for a sweep: its members' summaries with the varied ``key``, the value's label
    (``labels``: member experiment -> label) and its position in the sweep (``sweep_index``)."""
    order = {member: i for i, member in enumerate(labels)}
    frame = pd.concat(summaries, ignore_index=True)
    missing = sorted(set(frame["experiment"]) - set(labels))
    if missing:
        raise LthError(f"sweep: summary of '{missing[0]}' given but it is not a member (members: {', '.join(labels)})")
    frame.insert(1, "sweep_key", key)
    frame.insert(2, "sweep_value", frame["experiment"].map(labels))
    frame.insert(3, "sweep_index", frame["experiment"].map(order))
    return _sorted(frame).sort_values("sweep_index", kind="stable").reset_index(drop=True)
