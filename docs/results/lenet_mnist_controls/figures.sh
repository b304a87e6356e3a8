#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs, with the `lth` command line:
#   bash docs/results/lenet_mnist_controls/figures.sh [outdir]   (default: this folder; PDFs are written too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
title="lenet_mnist_controls: mlp 300-100 on mnist, adam lr 0.0012, 5000 it, layerwise 0.2/round, 2 trial(s)"
lth plot --summary "$here/summary.csv" --curves "$here/curves.csv.gz" --outdir "$out" --title "$title"
