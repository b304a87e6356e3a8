"""Checks of a SLURM run of the pipeline (called by run_local_cluster.sh).

Why each check: a run that "completed" proves little if Snakemake quietly ran jobs locally, asked for
GPUs the config does not use, dropped a GPU request, or retried failures; so the evidence is taken
from slurmctld itself (every job it saw, its state, its GPU allocation), from the sbatch calls
Snakemake made, and from the outputs, which must equal a local run's (on a CPU the pipeline is
deterministic).

Two kinds of run are checked:

* ``--device cpu``: every job ran as a SLURM job and completed, none asked for or got a GPU, and the
  tables and weights equal the local run's (``--local``, ``--slurm``);
* ``--device auto`` on the cluster's fake GPUs (device files /dev/null, /dev/zero): every job that
  trains or evaluates networks (its command is an `lth` subcommand with a --device option) was
  submitted with --gpus=1 and got a GPU, every other job asked for none and completed, and each GPU
  job stopped at once with lth's one-line error that it was given a GPU CUDA cannot use (``--workdir``:
  the run's folder, where the jobs' logs are), instead of training on the CPU. That run ends at
  those first training jobs: nothing trains, so nothing else of the DAG is reached.

Exit status 0 when every check holds; otherwise each failed check is printed and the status is 1.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import torch
from safetensors.torch import load_file

from lth.cli import build_parser

# Columns that measure time, not results: they differ between any two runs.
TIMING_SUFFIX = "_seconds"
REFUSAL = re.compile(
    r"lth \w[\w-]*: error: device 'auto': this job was given a GPU \((CUDA_VISIBLE_DEVICES|SLURM_JOB_GPUS)="
)


def scontrol_jobs(path: Path) -> list[dict[str, str]]:
    """`scontrol -o show job` output as one dict per job (only the space-free fields we read)."""
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in path.read_text().splitlines() if line.strip()]


def rule_of(comment: str) -> str:
    """The rule in the plugin's job comment: `rule_<rule>` or `rule_<rule>_wildcards_<values>`."""
    return comment.removeprefix("rule_").split("_wildcards_")[0]


def planned_jobs(log: str) -> Counter:
    """Jobs per rule in the first 'Job stats' table of a Snakemake log."""
    table = log.split("Job stats:", 1)[1].splitlines()
    counts = Counter()
    for line in table[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match or match.group(1) == "total":
            break
        counts[match.group(1)] = int(match.group(2))
    return counts


def sbatch_calls(log: str) -> list[list[str]]:
    """The sbatch options (before the wrapped job command) of every submission in a verbose log."""
    calls = []
    for line in log.splitlines():
        if "sbatch call: sbatch " in line:
            options = line.split("sbatch call: ", 1)[1].split(" --wrap=", 1)[0]
            calls.append(shlex.split(options))
    return calls


def device_rules(log: str) -> set[str]:
    """Rules whose jobs (as the log prints them) run an `lth` subcommand that takes --device: the jobs
    that train or evaluate networks on the config's device."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    on_device = {name for name, p in sub.choices.items() if any("--device" in a.option_strings for a in p._actions)}
    rules = set()
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", log)[1:]:
        command = (
            re.search(r"\blth ([a-z][a-z-]*)", block.split("Shell command:", 1)[-1])
            if "Shell command:" in block
            else None
        )
        if command and command.group(1) in on_device:
            rules.add(re.match(r"(?:local)?rule (\w+):", block).group(1))
    return rules


def check_jobs(device: str, jobs: list[dict[str, str]], log: str, workdir: Path | None) -> list[str]:
    errors = []
    calls = sbatch_calls(log)
    names = {call[call.index("--job-name") + 1] for call in calls}
    jobs = [job for job in jobs if job.get("JobName") in names]  # this run's jobs (the plugin names them by run)
    gpu_rules = device_rules(log) if device != "cpu" else set()
    planned = planned_jobs(log)
    # Rules without a command (the `all` target) are not jobs to submit.
    planned.pop("all", None)
    ran = Counter(rule_of(job.get("Comment", "")) for job in jobs)
    if device == "cpu" and ran != planned:
        errors.append(f"SLURM jobs per rule {dict(ran)} != jobs Snakemake planned {dict(planned)}")
    for job in jobs:
        rule = rule_of(job.get("Comment", ""))
        gpus = job.get("TresPerJob", "")
        wanted = "gres:gpu:1" if rule in gpu_rules else ""
        if gpus.replace("(null)", "") != wanted:
            errors.append(f"SLURM job {job['JobId']} ({rule}): TresPerJob={gpus!r}, expected {wanted!r}")
        if rule in gpu_rules:  # on the fake GPUs: refused, with the reason, in its log
            if job.get("JobState") != "FAILED":
                errors.append(
                    f"SLURM job {job['JobId']} ({rule}) on a fake GPU: {job.get('JobState')}, expected FAILED"
                )
        elif job.get("JobState") != "COMPLETED" or job.get("ExitCode") != "0:0":
            errors.append(f"SLURM job {job['JobId']} ({rule}): {job.get('JobState')} exit {job.get('ExitCode')}")
    if len(calls) != len(jobs):
        errors.append(f"{len(calls)} sbatch calls in the Snakemake log, {len(jobs)} of its jobs in slurmctld")
    for call in calls:
        rule = rule_of(call[call.index("--comment") + 1])
        has_gpu = "--gpus=1" in call
        if has_gpu != (rule in gpu_rules):
            errors.append(f"sbatch for rule {rule} {'has' if has_gpu else 'lacks'} --gpus=1: {' '.join(call)}")
    with_gpu = sum(ran[r] for r in gpu_rules)
    if device == "cpu":
        print(f"slurm jobs (device: cpu): {len(jobs)} completed, {with_gpu} with --gpus=1")
    else:
        logs = (workdir / "results").rglob("*.log")
        refused = sum(1 for p in logs if REFUSAL.search(p.read_text(errors="replace")))
        if not with_gpu:
            errors.append("no job of a rule that trains or evaluates was submitted: the GPU path was not exercised")
        if refused != with_gpu:
            errors.append(f"{with_gpu} jobs got a fake GPU but {refused} logs under {workdir} hold lth's refusal")
        print(
            f"slurm jobs (device: {device}): {len(jobs)} submitted, {with_gpu} with --gpus=1 "
            f"({', '.join(f'{r} {ran[r]}' for r in sorted(gpu_rules) if ran[r])}), "
            f"{refused} refused a GPU that CUDA cannot use"
        )
    return errors


def check_outputs(local: Path, slurm: Path) -> list[str]:
    errors = []
    files = {p.relative_to(local) for p in (local / "results").rglob("*") if p.is_file()}
    other = {p.relative_to(slurm) for p in (slurm / "results").rglob("*") if p.is_file()}
    if files != other:
        errors.append(
            f"result files differ: only local {sorted(map(str, files - other))[:5]}, "
            f"only SLURM {sorted(map(str, other - files))[:5]}"
        )
    compared = Counter()
    for rel in sorted(files & other):
        if rel.suffix == ".csv":
            a, b = (pd.read_csv(root / rel) for root in (local, slurm))
            timing = [c for c in a.columns if c.endswith(TIMING_SUFFIX)]
            try:
                pd.testing.assert_frame_equal(
                    a.drop(columns=timing), b.drop(columns=timing, errors="ignore"), check_exact=True
                )
            except AssertionError as exc:
                errors.append(f"{rel} differs: {str(exc).splitlines()[0]}")
        elif rel.suffix == ".safetensors":
            a, b = (load_file(root / rel) for root in (local, slurm))
            if a.keys() != b.keys() or not all(torch.equal(a[k], b[k]) for k in a):
                errors.append(f"{rel}: tensors differ")
        else:
            continue
        compared[rel.suffix] += 1
    if not compared[".csv"] or not compared[".safetensors"]:
        errors.append(f"nothing to compare under {local / 'results'}")
    print(
        f"outputs: {compared['.csv']} CSV tables and {compared['.safetensors']} safetensors files equal the local run's"
    )
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", required=True, choices=["cpu", "auto"], help="the run's config device")
    parser.add_argument("--scontrol", type=Path, required=True, help="output of `scontrol -o show job`")
    parser.add_argument("--snakemake-log", type=Path, required=True, help="stdout+stderr of the --verbose SLURM run")
    parser.add_argument("--local", type=Path, help="device cpu: working directory of the local run")
    parser.add_argument("--slurm", type=Path, help="device cpu: working directory of the SLURM run")
    parser.add_argument("--workdir", type=Path, help="device auto: working directory of the SLURM run")
    args = parser.parse_args()
    errors = check_jobs(args.device, scontrol_jobs(args.scontrol), args.snakemake_log.read_text(), args.workdir)
    if args.device == "cpu":
        errors += check_outputs(args.local, args.slurm)
    for error in errors:
        print(f"check failed: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
