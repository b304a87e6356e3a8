#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs, with the `lth` command line:
#   bash docs/results/conv2_cifar10_subset/figures.sh [outdir]   (default: this folder; PDFs are written too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
title="conv2_subset: conv2 on cifar10_subset, adam lr 0.0002, 800 it, layerwise 0.488/round, 1 trial(s)"
lth plot --summary "$here/summary.csv" --curves "$here/curves.csv" --outdir "$out" --title "$title"
