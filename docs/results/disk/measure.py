"""Disk each recipe of config.yaml needs under results/: its weight and mask files, counted from a
dry run of its DAG, times the size of one state file, measured by saving the recipe's model.

    python docs/results/disk/measure.py      # rewrites disk.csv beside this file (about a minute)

A state file (θ₀, θ_k, every start and trained network) holds the weights in float32 and the mask
in bytes; a mask file (`mask_*.safetensors`) holds only the mask. Logs, metrics, tables and figures
are small beside them and are not counted, nor is the dataset's tensor file (`results/data/`,
shared by every experiment on that dataset).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from lth import checkpoint, data, masks, models
from lth.checkpoint import Checkpoint
from lth.specs import ModelSpec

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
OUTPUT = re.compile(r"^\s+output: (.*)$", re.M)


def weight_files(config: dict, experiment: str) -> tuple[int, int]:
    """(state files, mask files) in the dry run of ``experiment`` alone."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "config.yaml"
        conf.write_text(yaml.safe_dump({**config, "run": [experiment]}))
        out = subprocess.run(
            ["snakemake", "-n", "-p", "--configfile", str(conf), "--directory", tmp, "-s", str(REPO / "Snakefile")],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
    files = [f.strip() for line in OUTPUT.findall(out.stdout) for f in line.split(",")]
    files = [f for f in files if f.endswith(".safetensors") and not f.startswith("results/data/")]
    n_masks = sum(Path(f).name.startswith("mask_") for f in files)
    return len(files) - n_masks, n_masks


def file_sizes(spec: dict, dataset: str) -> tuple[int, int, int]:
    """(prunable weights, bytes of a saved state file, bytes of a mask file) of the recipe's model."""
    model_spec = ModelSpec.from_dict(spec, "model")
    info = data.dataset_info(dataset)
    model = models.build(model_spec, info.input_shape, info.num_classes)
    mask = masks.full_mask(model)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.safetensors"
        checkpoint.save(path, Checkpoint(model.state_dict(), mask, model_spec.to_dict(), dataset))
        state = path.stat().st_size
    weights = sum(m.numel() for m in mask.values())
    return weights, state, weights  # a mask file: one byte per prunable weight (its header is negligible)


def main() -> None:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    rows = []
    for name, exp in config["experiments"].items():
        if "sweep" in exp:
            continue
        states, mask_files = weight_files(config, name)
        weights, state, mask = file_sizes(exp["model"], exp["dataset"])
        rows.append(
            {
                "experiment": name,
                "model": exp["model"]["name"],
                "weights": weights,
                "state_mb": state / 1e6,
                "state_files": states,
                "mask_files": mask_files,
                "total_gb": (states * state + mask_files * mask) / 1e9,
            }
        )
        print(rows[-1], file=sys.stderr)
    pd.DataFrame(rows).to_csv(HERE / "disk.csv", index=False, float_format="%.4g")


if __name__ == "__main__":
    main()
