"""Checks of a SLURM run of the pipeline against a local run (called by run_local_cluster.sh).

Why each check: a run that "completed" proves little if Snakemake quietly ran jobs locally, dropped
the GPU request, or retried failures; so the evidence is taken from slurmctld itself (every job it
saw, its state, its GPU allocation), from the sbatch calls Snakemake made, and from the outputs,
which must equal a local run's (on a CPU the pipeline is deterministic).

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
import yaml
from safetensors.torch import load_file

# Columns that measure time, not results: they differ between any two runs.
TIMING_SUFFIX = "_seconds"


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


def check_jobs(profile: dict, jobs: list[dict[str, str]], log: str) -> list[str]:
    errors = []
    gpu_rules = {rule for rule, res in profile.get("set-resources", {}).items() if res.get("gpu")}
    planned = planned_jobs(log)
    # Rules without a command (the `all` target) are not jobs to submit.
    planned.pop("all", None)
    ran = Counter(rule_of(job.get("Comment", "")) for job in jobs)
    if ran != planned:
        errors.append(f"SLURM jobs per rule {dict(ran)} != jobs Snakemake planned {dict(planned)}")
    for job in jobs:
        rule = rule_of(job.get("Comment", ""))
        if job.get("JobState") != "COMPLETED" or job.get("ExitCode") != "0:0":
            errors.append(f"SLURM job {job['JobId']} ({rule}): {job.get('JobState')} exit {job.get('ExitCode')}")
        gpus = job.get("TresPerJob", "")
        wanted = "gres:gpu:1" if rule in gpu_rules else ""
        if gpus.replace("(null)", "") != wanted:
            errors.append(f"SLURM job {job['JobId']} ({rule}): TresPerJob={gpus!r}, expected {wanted!r}")
    calls = sbatch_calls(log)
    if len(calls) != len(jobs):
        errors.append(f"{len(calls)} sbatch calls in the Snakemake log, {len(jobs)} jobs in slurmctld")
    for call in calls:
        rule = rule_of(call[call.index("--comment") + 1])
        has_gpu = "--gpus=1" in call
        if has_gpu != (rule in gpu_rules):
            errors.append(f"sbatch for rule {rule} {'has' if has_gpu else 'lacks'} --gpus=1: {' '.join(call)}")
    if not any(rule in gpu_rules for rule in ran):
        errors.append(f"no job of the GPU rules {sorted(gpu_rules)} ran: the GPU path was not exercised")
    print(f"slurm jobs: {len(jobs)} completed, {sum(ran[r] for r in gpu_rules)} with --gpus=1 "
          f"({', '.join(f'{r} {ran[r]}' for r in sorted(gpu_rules) if ran[r])})")
    return errors


def check_outputs(local: Path, slurm: Path) -> list[str]:
    errors = []
    files = {p.relative_to(local) for p in (local / "results").rglob("*") if p.is_file()}
    other = {p.relative_to(slurm) for p in (slurm / "results").rglob("*") if p.is_file()}
    if files != other:
        errors.append(f"result files differ: only local {sorted(map(str, files - other))[:5]}, "
                      f"only SLURM {sorted(map(str, other - files))[:5]}")
    compared = Counter()
    for rel in sorted(files & other):
        if rel.suffix == ".csv":
            a, b = (pd.read_csv(root / rel) for root in (local, slurm))
            timing = [c for c in a.columns if c.endswith(TIMING_SUFFIX)]
            try:
                pd.testing.assert_frame_equal(a.drop(columns=timing), b.drop(columns=timing, errors="ignore"),
                                              check_exact=True)
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
    print(f"outputs: {compared['.csv']} CSV tables and {compared['.safetensors']} safetensors files "
          "equal the local run's")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, required=True, help="profiles/slurm/profile.yaml")
    parser.add_argument("--scontrol", type=Path, required=True, help="output of `scontrol -o show job`")
    parser.add_argument("--snakemake-log", type=Path, required=True, help="stdout+stderr of the --verbose SLURM run")
    parser.add_argument("--local", type=Path, required=True, help="working directory of the local run")
    parser.add_argument("--slurm", type=Path, required=True, help="working directory of the SLURM run")
    args = parser.parse_args()
    profile = yaml.safe_load(args.profile.read_text())
    errors = check_jobs(profile, scontrol_jobs(args.scontrol), args.snakemake_log.read_text())
    errors += check_outputs(args.local, args.slurm)
    for error in errors:
        print(f"check failed: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
