"""Tables and inline numbers of this page, from its committed CSVs (see docs/build_tables.py).

``summary_k0.csv`` is the pipeline's summary of experiment ``variants_rewind0`` of
``configs/lenet_mnist_variants.yaml`` (rewinding to θ₀; its one-shot and fine-tuned rows are on
the pages lenet_mnist_oneshot and lenet_mnist_finetune), ``summary_k500.csv`` that of
``variants_rewind500`` (rewinding to θ_500; same seeds, so the same θ₀, data order and dense
network); ``run.csv`` the whole run's wall time, jobs, CPU time and the machine's load.
"""

from __future__ import annotations

from pathlib import Path

from variantpage import RUN_VALUES, side_by_side, values

LINES = {"k0": ("summary_k0.csv", "ticket"), "k500": ("summary_k500.csv", "ticket")}
LABELS = {"k0": "rewind to θ₀", "k500": "rewind to θ_500"}


def table(here: Path) -> str:
    return side_by_side(here, {LABELS[name]: line for name, line in LINES.items()})


TABLES = {"accuracy": table}
VALUES = {**values(range(0, 8), LINES), **RUN_VALUES}
