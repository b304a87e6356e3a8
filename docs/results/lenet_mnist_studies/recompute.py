"""Recompute the MNIST facts and the round-0 statistics this page quotes, into small CSVs beside it.

The anatomy above was computed from the recorded run of ``../lenet_mnist_cpu/``, whose trained
networks were not kept. Two of its statements need more than ``anatomy.csv``: how the inputs that
are constant over the training set fare, and how well |θ₀| predicts the trained |θ|. Both only need
the dense networks of round 0, which are cheap to train again (2 × 8,000 iterations, the same
seeds), and the data. Run from the repository root::

    snakemake results/lenet_mnist_cpu/trial0/round0/ticket/trained.safetensors \\
        results/lenet_mnist_cpu/trial1/round0/ticket/trained.safetensors \\
        --cores 1 --configfile configs/lenet_mnist_cpu.yaml
    python docs/results/lenet_mnist_studies/recompute.py

It writes ``anatomy/mnist_inputs.csv`` (the training split's constant pixels),
``anatomy/init_vs_trained.csv`` (per trial and layer: Spearman of |θ₀| with the trained |θ|, and
for the first layer the mean |θ − θ₀| of the weights from constant and from other pixels),
``anatomy/rerun_round0.csv`` (the re-trained dense networks' accuracy beside the recorded run's,
from ``../lenet_mnist_cpu/summary.csv``)
and ``less_data/subset_sizes.csv`` (training examples at each ``train_fraction``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from lth import checkpoint
from lth.data import read_prepared, stratified_subset, validation_indices

HERE = Path(__file__).resolve().parent
VALIDATION_SIZE, SPLIT_SEED = 5000, 0  # configs/lenet_mnist_cpu.yaml and lenet_mnist_studies.yaml
FRACTIONS = (0.1, 0.25, 0.5, 1.0)  # the less-data sweep
TRIALS = (0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("results/data/mnist.safetensors"))
    parser.add_argument("--run", type=Path, default=Path("results/lenet_mnist_cpu"))
    args = parser.parse_args()

    _, raw = read_prepared(args.data)
    keep, _ = validation_indices(len(raw.train_y), VALIDATION_SIZE, SPLIT_SEED)
    train = raw.train_x[keep].flatten(1)  # raw pixel values, 0-255
    constant = train.amax(0) == train.amin(0)
    pd.DataFrame(
        [
            {
                "split": "train",
                "examples": len(train),
                "pixels": train.shape[1],
                "constant_pixels": int(constant.sum()),
                "zero_pixels": int((train.amax(0) == 0).sum()),
            }
        ]
    ).to_csv(HERE / "anatomy" / "mnist_inputs.csv", index=False)

    sizes = [
        {"train_fraction": f, "examples": len(stratified_subset(raw.train_y[keep], f, SPLIT_SEED))} for f in FRACTIONS
    ]
    pd.DataFrame(sizes).to_csv(HERE / "less_data" / "subset_sizes.csv", index=False)

    recorded = pd.read_csv(HERE.parent / "lenet_mnist_cpu" / "summary.csv").query("round == 0").set_index("trial")
    rows, reruns = [], []
    for trial in TRIALS:
        init = checkpoint.load(args.run / f"trial{trial}" / "init.safetensors", "θ₀").weights
        trained_path = args.run / f"trial{trial}" / "round0" / "ticket" / "trained.safetensors"
        trained = checkpoint.load(trained_path, "trained dense network")
        for layer in trained.masks:
            before, after = init[layer].double(), trained.weights[layer].double()
            row = {
                "trial": trial,
                "layer": layer,
                "spearman_abs_init_trained": spearmanr(before.abs().flatten(), after.abs().flatten()).statistic,
            }
            if before.shape[1] == len(constant):  # the first layer: one column per input pixel
                moved = (after - before).abs()
                row["mean_abs_change_constant_inputs"] = moved[:, constant].mean().item()
                row["mean_abs_change_other_inputs"] = moved[:, ~constant].mean().item()
            rows.append(row)
        record = json.loads(checkpoint.sidecar(trained_path).read_text())
        compared = ("early_stop_iteration", "early_stop_test_accuracy", "final_test_accuracy")
        reruns.append(
            {
                "trial": trial,
                "commit": record["environment"]["git_commit"],
                **{k: record["summary"][k] for k in compared},
                **{f"recorded_{k}": recorded.loc[trial, k] for k in compared},
            }
        )
    pd.DataFrame(rows).to_csv(HERE / "anatomy" / "init_vs_trained.csv", index=False)
    pd.DataFrame(reruns).to_csv(HERE / "anatomy" / "rerun_round0.csv", index=False)


if __name__ == "__main__":
    main()
