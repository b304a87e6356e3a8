#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs, with the `lth` command line:
#   bash docs/results/lenet_mnist_studies/figures.sh [outdir]   (default: this folder; PDFs are written too)
# anatomy_dead only: anatomy_init and anatomy_units need the run's anatomy_hist.csv and
# anatomy_units.csv, which were not kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
lth plot-anatomy --stats "$here/anatomy/anatomy.csv" --outdir "$out/anatomy" \
    --title "lenet_mnist_cpu: mlp 300-100 on mnist, adam lr 0.0012, 8000 it, layerwise 0.2/round, 2 trial(s)"
lth plot-sweep --sweep "$here/lr/sweep.csv" --outdir "$out/lr" \
    --title "lenet_lr: train.lr = 0.0003, 0.0012, 0.0048; mlp on mnist, 1 trial(s)"
lth plot-sweep --sweep "$here/less_data/sweep.csv" --outdir "$out/less_data" \
    --title "lenet_data: train_fraction = 0.1, 0.25, 0.5, 1.0; mlp on mnist, 1 trial(s)"
