#!/usr/bin/env bash
# Re-render this page's figures from its committed CSVs, with the `lth` command line, one folder per
# rewind point (k0/: the tickets of variants_rewind0 only, k500/: variants_rewind500):
#   bash docs/results/lenet_mnist_late_rewinding/figures.sh [outdir]   (default: this folder; PDFs are written too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
settings="mlp 300-100 on mnist, adam lr 0.0012, 2500 it, layerwise 0.2/round, 1 trial(s)"
lth plot --summary "$here/summary_k0.csv" --outdir "$out/k0" --title "variants_rewind0 (rewind to θ₀): $settings"
lth plot --summary "$here/summary_k500.csv" --outdir "$out/k500" --title "variants_rewind500 (rewind to θ_500): $settings"
