#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs (the `lth plot-ticket` figure functions):
#   bash docs/results/fashion_ticket/figures.sh [outdir]   (default: this folder; PDFs are written too)
# The pruning figures only: `weights` and `new_init` need the trained networks and the new-init
# runs' curves, which were not kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
python - "$here" "$out" <<'PY'
import sys
from pathlib import Path

import pandas as pd

from lth.studies import figures
from lth.studies.ticket import find_ticket

here, out = Path(sys.argv[1]), Path(sys.argv[2])
sweep = pd.read_csv(here / "no_retraining.csv")
for scope, study, exp in (("layerwise", "fashion_ticket", "fashion_8_4"),
                          ("global", "fashion_ticket_global", "fashion_8_4_global")):
    imp = pd.read_csv(here / f"imp_{scope}.csv")
    tickets = find_ticket(imp, 0.80, "final_test_accuracy")
    title = (f"{study} of {exp}: mlp 8-4 on fashion_mnist, adam lr 0.001, 9160 it, "
             f"{scope} 0.2/round, 2 trial(s)")
    figures.save(figures.pruning_curves(sweep, imp, tickets, "final_test_accuracy", title), out, f"pruning_{scope}")
PY
