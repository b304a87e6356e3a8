"""The disk each recipe of config.yaml needs, from disk.csv (written by measure.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown


def recipes(here: Path) -> str:
    table = pd.read_csv(here / "disk.csv").rename(
        columns={
            "weights": "prunable weights",
            "state_mb": "one state (MB)",
            "state_files": "state files",
            "mask_files": "mask files",
            "total_gb": "total (GB)",
        }
    )
    table["prunable weights"] = table["prunable weights"].map("{:,}".format)
    return markdown(table, {"one state (MB)": ".3g", "total (GB)": ".3g"})


def total_gb(experiment: str):
    """A recipe's total, to two significant digits, for the prose."""
    return lambda here: f"{pd.read_csv(here / 'disk.csv').set_index('experiment').loc[experiment, 'total_gb']:.2g}"


TABLES = {"recipes": recipes}
VALUES = {name: total_gb(name) for name in ("conv2_cifar10", "vgg19_cifar10", "vgg16_cifar10_lmc")}
