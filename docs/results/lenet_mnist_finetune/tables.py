"""Tables and inline numbers of this page, from its committed CSVs (see docs/build_tables.py).

``summary.csv`` is the pipeline's summary of experiment ``variants_rewind0`` of
``configs/lenet_mnist_variants.yaml`` (one row per trained network of its one trial: the dense
network, the iterative tickets, the one-shot tickets and the fine-tuned networks); ``run.csv`` the
whole run's wall time, jobs, CPU time and the machine's load.
"""

from __future__ import annotations

from pathlib import Path

from variantpage import RUN_VALUES, side_by_side, value, values

LINES = {"ticket": ("summary.csv", "ticket"), "finetune": ("summary.csv", "finetune")}
LABELS = {"ticket": "ticket (reset to θ₀)", "finetune": "fine-tuned (no reset)"}


def table(here: Path) -> str:
    return side_by_side(here, {LABELS[name]: line for name, line in LINES.items()})


TABLES = {"accuracy": table}
VALUES = {**values(range(0, 8), LINES), **RUN_VALUES}
VALUES.update(
    {
        f"loss_{name}_r{r}": (lambda csv, v, r: lambda here: f"{value(here, csv, v, r, 'early_stop_test_loss'):.3f}")(
            csv, v, r
        )
        for name, (csv, v) in LINES.items()
        for r in range(0, 8)
    }
)
