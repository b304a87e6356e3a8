#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs, with the `lth` command line:
#   bash docs/results/lenet_mnist_sweeps/figures.sh [outdir]   (default: this folder; PDFs are written too)
# The titles are the ones the pipeline's sweep_figures rule gave them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
lth plot-sweep --sweep "$here/init_std/sweep.csv" --outdir "$out/init_std" \
    --title "sweep_init_std: model.init_std = 0.01, 0.1, 1.0; mlp on mnist, 1 trial(s)"
lth plot-sweep --sweep "$here/hidden/sweep.csv" --outdir "$out/hidden" \
    --title "sweep_hidden: model.hidden = 300-100, 100-30; mlp on mnist, 1 trial(s)"
lth plot-sweep --sweep "$here/rate/sweep.csv" --outdir "$out/rate" \
    --title "sweep_rate: prune.rate = 0.2, 0.5, 0.8; mlp on mnist, 1 trial(s)"
lth plot-sweep --sweep "$here/rounds/sweep.csv" --outdir "$out/rounds" \
    --title "sweep_rounds: prune.rounds = 1, 3, 6; mlp on mnist, 1 trial(s)"
