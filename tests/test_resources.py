"""What jobs ask their scheduler for (lth.resources and the rules' `resources:`), read from
`snakemake -n`: a GPU for every job that trains or evaluates on the config's device when that
device is cuda or auto, none when it is cpu, none ever for the other jobs; memory and a time
limit that follow the model; CPU cores equal to the config's threads."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lth import resources
from lth.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
# Every rule's command, in tiny versions: IMP with controls, one-shot masks and an instability
# point with a spawn (smoke + the SLURM test's override), the ablations and a sweep, both studies.
CONFIGS = [
    "configs/smoke.yaml",
    "tests/slurm/smoke_small.yaml",
    "configs/smoke_sweeps_ablations.yaml",
    "configs/smoke_studies.yaml",
]
RUN = ["smoke", "ablate", "less_data", "fashion_ticket_smoke", "xor_smoke"]


def device_commands() -> set[str]:
    """The `lth` subcommands that run on the config's device: those with a --device option."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {name for name, p in sub.choices.items() if any("--device" in a.option_strings for a in p._actions)}


def dry_run_jobs(tmp_path: Path, **settings) -> list[dict]:
    """Every job of a dry run of CONFIGS with ``settings`` on top: rule, lth subcommand, threads
    and resources as Snakemake prints them."""
    override = tmp_path / "override.yaml"
    override.write_text(yaml.safe_dump({"run": RUN, **settings}))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(tmp_path),
            "-n",
            "--cores",
            "4",
            "--configfile",
            *(str(REPO / c) for c in CONFIGS),
            str(override),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", proc.stdout)[1:]:
        rule = re.match(r"(?:local)?rule (\w+):", block).group(1)
        if rule == "all":
            continue
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        threads = re.search(r"^\s+threads: (\d+)$", block, re.M)
        command = (
            re.search(r"\blth ([a-z][a-z-]*)", block.split("Shell command:", 1)[-1])
            if "Shell command:" in block
            else None
        )
        jobs.append(
            {
                "rule": rule,
                "command": command.group(1) if command else None,
                "threads": int(threads.group(1)) if threads else 1,
                "resources": dict(kv.split("=", 1) for kv in res.group(1).split(", ")) if res else {},
            }
        )
    assert jobs and all(job["command"] for job in jobs), "could not read the dry run's jobs"
    return jobs


@pytest.mark.pipeline
@pytest.mark.parametrize("device, gpu", [("cpu", "0"), ("cuda", "1")])  # auto asks as cuda: test_gpus_follow_the_device
def test_dry_run_resources_per_rule(tmp_path, device, gpu):
    jobs = dry_run_jobs(tmp_path, device=device, threads=2)
    on_device = device_commands()
    assert on_device == {"train", "interpolate", "evaluate", "weight-study"}
    device_rules = {job["rule"] for job in jobs if job["command"] in on_device}
    assert device_rules == {
        "train_dense",
        "train",
        "train_clamped_dense",
        "spawn",
        "instability_train",
        "interpolate",
        "ticket_new_init_train",
        "ticket_weights",
        "rewind_k_train",
    }
    for job in jobs:
        res = job["resources"]
        if job["rule"] in device_rules:
            assert res["gpu"] == gpu, job
            assert job["threads"] == 2, job  # the config's threads: --cpus-per-task on SLURM
            assert int(res["mem_mb"]) == resources.mem_mb("mlp", device), job
            assert int(res["runtime"]) >= resources.STARTUP_MINUTES, job
        else:
            assert "gpu" not in res and "runtime" not in res, job  # light jobs: the cluster's defaults


@pytest.mark.pipeline
def test_dry_run_vgg19_on_a_gpu_asks_for_more_than_an_hour(tmp_path):
    """A VGG-19 training job of the paper's recipe (112,480 iterations) gets the time its model
    needs on a GPU, not a profile-wide 60 minutes; an instability path, the time of its points."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    vgg = config["experiments"]["vgg19_cifar10"]
    lmc = config["experiments"]["resnet20_cifar10_lmc"]
    override = tmp_path / "override.yaml"
    small = {"trials": 1, "prune": {"rounds": 1}}  # the recipes' time limits, in a small DAG
    override.write_text(
        yaml.safe_dump(
            {
                "run": ["vgg19_cifar10", "resnet20_cifar10_lmc"],
                "device": "cuda",
                "experiments": {
                    "vgg19_cifar10": small,
                    "resnet20_cifar10_lmc": {**small, "instability": {"rounds": [1], "rewind_iterations": [100]}},
                },
            }
        )
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(tmp_path),
            "-n",
            "--cores",
            "4",
            "--configfile",
            str(REPO / "config.yaml"),
            str(override),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runtimes = {}
    for block in re.split(r"\n(?=rule \w+:)", proc.stdout)[1:]:
        rule = re.match(r"rule (\w+):", block).group(1)
        exp = re.search(r"wildcards: exp=(\w+)", block)
        res = re.search(r"runtime=(\d+)", block)
        if exp and res:
            runtimes.setdefault((rule, exp.group(1)), set()).add(int(res.group(1)))
    train = vgg["train"]
    expected = resources.training_minutes(
        "vgg19", "cuda", train["iterations"], train["batch_size"], train["eval_every"], vgg["validation_size"]
    )
    assert runtimes[("train_dense", "vgg19_cifar10")] == runtimes[("train", "vgg19_cifar10")] == {expected}
    assert expected > 60
    path = resources.evaluation_minutes(
        "resnet20", "cuda", resources.path_examples(lmc["instability"]["points"]), lmc["train"]["batch_size"]
    )
    assert runtimes[("interpolate", "resnet20_cifar10_lmc")] == {path}


def test_gpus_follow_the_device():
    assert resources.gpus("cpu") == 0
    assert resources.gpus("auto") == resources.gpus("cuda") == resources.gpus("cuda:1") == 1


def test_training_minutes_arithmetic_and_retry():
    # 1,000 iterations at batch 60 and 1000 // 100 + 2 evaluations (a bound: at 0, every 100 and at
    # the end) of 1,000 validation and 10,000 test examples, a forward pass a third of a step
    steps = 1000 + 12 * 11000 / (3 * 60)
    minutes = resources.STARTUP_MINUTES + math.ceil(steps * resources.SECONDS_PER_ITERATION["cpu"]["conv2"] / 60)
    assert resources.training_minutes("conv2", "cpu", 1000, 60, 100, 1000) == minutes
    assert resources.training_minutes("conv2", "cpu", 1000, 60, 100, 1000, attempt=2) == 2 * minutes
    assert resources.training_minutes("conv2", "cuda", 1000, 60, 100, 1000) < minutes


def test_unlisted_models_take_the_slowest_models_time():
    assert resources.training_minutes("vgg16", "cuda", 5000, 64, 100, 5000) == resources.training_minutes(
        "vgg19", "cuda", 5000, 64, 100, 5000
    )


def test_memory_follows_model_and_device():
    assert resources.mem_mb("mlp", "cpu") < resources.mem_mb("conv2", "cpu") < resources.mem_mb("conv2", "cuda")
    assert resources.mem_mb("vgg19", "auto") == resources.mem_mb("resnet20", "cuda")
