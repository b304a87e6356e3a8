"""What a training or evaluation job asks its scheduler for: a GPU, memory and time.

The rules declare these as Snakemake resources, derived from the config, so that what a job asks
for matches what it will do: `gpu` (one per job for devices auto and cuda, none for cpu; SLURM's
--gpus, or a count that `--resources gpu=N` limits on a workstation), `mem_mb` (host memory,
--mem) and `runtime` (minutes, -t). CPU cores are the rule's `threads` (--cpus-per-task).

Time is an upper bound per model: seconds per training iteration at the recipe's batch size,
times the iterations, plus the evaluations (a forward pass of an example costs about a third of
its training step), plus start-up; a job resubmitted after a failure (the SLURM profile retries
once, e.g. after hitting the limit) gets twice as long. The CPU figures were measured on a
shared 2-core CPU under load (bench/job_resources.py), so they are generous for a dedicated core;
no GPU was available to this work, so the GPU figures are assumptions (about 3x what a T4 should
need) until `bench/job_resources.py --device cuda` measures them. Models not listed take the
slowest model's figures. Override any rule's value from the command line, e.g.
`--set-resources train:runtime=600`.
"""

from __future__ import annotations

import math

# Seconds per training iteration at the recipe's batch size (mlp 60, conv 60, resnet20 128, vgg19 64).
# CPU: one thread, measured with load averages of 11-16 on the 2-core machine (2026-12-02), so upper bounds.
SECONDS_PER_ITERATION = {
    "cpu": {"mlp": 0.05, "conv2": 3.2, "conv4": 7.8, "conv6": 7.6, "resnet20": 11.9, "vgg19": 40.6},
    "gpu": {"mlp": 0.005, "conv2": 0.01, "conv4": 0.012, "conv6": 0.015, "resnet20": 0.05, "vgg19": 0.06},
}
STARTUP_MINUTES = 10  # starting Python and torch, reading the data, writing the outputs; queue slack
TEST_EXAMPLES = 10_000  # the largest test set here (MNIST, Fashion-MNIST, CIFAR-10)
TRAIN_EXAMPLES = 60_000  # the largest training set here (MNIST, Fashion-MNIST)
BN_EXAMPLES = 30 * 128  # batch-norm recomputation at each point of a path (lth.instability)

# Host memory in MB, over twice the peaks measured on the CPU (bench/README.md): a whole `lth train`
# job took 1.2 GB for LeNet-300-100 on MNIST, and 2.5 GB (Conv-2) and 2.6 GB (VGG-19) on
# CIFAR-10-sized data, evaluating in batches of 1,000.
MEM_MB = {"mlp": 3000, "conv": 6000}
GPU_HOST_MB = 3000  # CUDA and cuDNN libraries and the context's host side (assumed, not measured)


def gpus(device: str) -> int:
    """GPUs per training or evaluation job: none when the config says cpu, else one (auto asks for
    one too: on a cluster, auto means 'use a GPU if given one', so it asks to be given one)."""
    return 0 if device == "cpu" else 1


def _seconds_per_iteration(model: str, device: str) -> float:
    table = SECONDS_PER_ITERATION["cpu" if device == "cpu" else "gpu"]
    return table.get(model, max(table.values()))


def _minutes(seconds: float, attempt: int) -> int:
    return (STARTUP_MINUTES + math.ceil(seconds / 60)) * max(attempt, 1)


def training_minutes(
    model: str, device: str, iterations: int, batch_size: int, eval_every: int, validation_size: int, attempt: int = 1
) -> int:
    """Time limit of a job that trains ``iterations`` steps and evaluates the validation and test
    sets every ``eval_every`` of them."""
    evaluations = iterations // eval_every + 2
    steps = iterations + evaluations * (validation_size + TEST_EXAMPLES) / (3 * batch_size)
    return _minutes(steps * _seconds_per_iteration(model, device), attempt)


def evaluation_minutes(model: str, device: str, examples: int, batch_size: int, attempt: int = 1) -> int:
    """Time limit of a job that only evaluates: ``examples`` forward passes in all."""
    return _minutes(examples / (3 * batch_size) * _seconds_per_iteration(model, device), attempt)


def path_examples(points: int) -> int:
    """Forward passes of one instability path: at each point, batch-norm recomputation and the
    training and test sets (upper bounds)."""
    return points * (BN_EXAMPLES + TRAIN_EXAMPLES + TEST_EXAMPLES)


def mem_mb(model: str, device: str) -> int:
    """Host memory of a training or evaluation job."""
    return MEM_MB["mlp" if model == "mlp" else "conv"] + (0 if device == "cpu" else GPU_HOST_MB)
