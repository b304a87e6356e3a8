"""Tables and inline numbers of this page, from its committed CSVs (see docs/build_tables.py).

``summary.csv`` is the pipeline's summary of experiment ``variants_rewind0`` of
``configs/lenet_mnist_variants.yaml`` (one row per trained network of its one trial: the dense
network, the iterative tickets, the one-shot tickets and the fine-tuned networks); ``run.csv`` the
whole run's wall time, jobs, CPU time and the machine's load.
"""

from __future__ import annotations

from pathlib import Path

from variantpage import RUN_VALUES, side_by_side, values

LINES = {"iterative": ("summary.csv", "ticket"), "oneshot": ("summary.csv", "oneshot")}
LABELS = {"iterative": "iterative ticket", "oneshot": "one-shot ticket"}


def table(here: Path) -> str:
    return side_by_side(here, {LABELS[name]: line for name, line in LINES.items()})


TABLES = {"accuracy": table}
VALUES = {**values(range(0, 8), LINES), **RUN_VALUES}
