#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs, with the `lth` command line:
#   bash docs/results/lenet_mnist_lmc/figures.sh [outdir]   (default: this folder; PDFs are written too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
title="lenet_mnist_lmc: mlp 300-100 on mnist, adam lr 0.0012, 4000 it, layerwise 0.2/round, 2 trial(s)"
lth plot-analyses --instability "$here/instability.csv" --instability-paths "$here/instability_paths.csv.gz" \
  --imp-rewinding "$here/imp_rewinding.csv" --threshold 0.02 --outdir "$out" --title "$title"
