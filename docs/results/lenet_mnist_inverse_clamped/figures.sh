#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs, with the `lth` command line:
#   bash docs/results/lenet_mnist_inverse_clamped/figures.sh [outdir]   (default: this folder; PDFs are written too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
title="lenet_mnist_inverse_clamped: mlp 300-100 on mnist, adam lr 0.0012, 2500 it, layerwise 0.2/round, 1 trial(s)"
lth plot --summary "$here/summary.csv" --outdir "$out" --title "$title"
