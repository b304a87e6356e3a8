"""The cost of the default run, extrapolated from one timed default-recipe LeNet job (default_job.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown


def _job(here: Path) -> pd.Series:
    return pd.read_csv(here / "default_job.csv").iloc[0]


def _measured(job: pd.Series) -> bool:
    return not pd.isna(job["wall_s"])


def default_run(here: Path) -> str:
    """The README's sentence: one job's wall and CPU time, and the extrapolation to every training job."""
    job = _job(here)
    if not _measured(job):
        return (
            "The cost of a default-config job has not been measured on an idle machine yet "
            "(`docs/results/cost/default_job.csv` has no timing)"
        )
    jobs = int(job["training_jobs"])
    hours = jobs * job["wall_s"] / 3600
    return (
        f"Extrapolated from one measured job: a default-config LeNet job ({int(job['iterations']):,} iterations, "
        f"evaluation every {int(job['eval_every'])}, {int(job['threads'])} thread) took "
        f"{job['wall_s'] / 60:.1f} min of wall time ({job['user_s'] / 60:.1f} min of CPU time) on {job['machine']} "
        f"on {job['date']} (load average {job['load_before']:g} before, {job['load_after']:g} after), so the "
        f"{jobs} training jobs of `config.yaml` are about {hours:.0f} core-hours (about {hours / 8:.1f} hours on 8 "
        "cores), assuming every job costs the same: pruned networks train as dense tensors under a mask, "
        "so a sparse round costs a CPU as much as the dense one"
    )


def default_run_short(here: Path) -> str:
    """The README quick start's one line: the measured job and the extrapolated whole run."""
    job = _job(here)
    if not _measured(job):
        return "Its cost has not been measured on an idle machine yet"
    hours = int(job["training_jobs"]) * job["wall_s"] / 3600
    return (
        f"One {int(job['iterations']):,}-iteration job took {job['wall_s'] / 60:.1f} min on one idle core "
        f"({job['date']}), so the whole run is about {hours:.0f} core-hours, about {hours / 8:.1f} hours "
        "on 8 cores (extrapolated)"
    )


def job_table(here: Path) -> str:
    return markdown(pd.read_csv(here / "default_job.csv"), {"wall_s": ".1f", "user_s": ".1f"})


TABLES = {"job": job_table}
VALUES = {"default_run": default_run, "default_run_short": default_run_short}
