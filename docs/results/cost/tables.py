"""The cost of the default run: extrapolated from one timed default-recipe LeNet job on an idle
core (``default_job.csv``), and measured on a slice of the default run itself
(``configs/lenet_mnist_full_slice.yaml``: 1 trial, 2 rounds, all three controls, at the full 50,000
iterations) on the shared machine: ``slice_summary.csv`` (the pipeline's summary, one row per
training job, with its ``train_seconds``) and ``slice_run.csv`` (the run's wall time, jobs, CPU time
and the one-minute load average sampled every 30 s)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from mdtable import markdown
from numfmt import num, pct


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


def _slice(here: Path) -> pd.DataFrame:
    return pd.read_csv(here / "slice_summary.csv")


def _slice_run(here: Path) -> pd.Series:
    return pd.read_csv(here / "slice_run.csv").iloc[0]


def slice_table(here: Path) -> str:
    """One row per training job of the slice, in the order of the rounds."""
    s = _slice(here).sort_values(["round", "variant"], key=lambda c: c.map(VARIANT_ORDER) if c.name == "variant" else c)
    return markdown(
        pd.DataFrame(
            {
                "round": s["round"],
                "network": s["variant"].where(s["round"] > 0, "dense"),
                "weights remaining (%)": s["weights_remaining"].map(lambda f: pct(f, 1)),
                "training wall time (s)": s["train_seconds"].map(lambda t: f"{t:.0f}"),
                "early stop": s["early_stop_iteration"].map(num),
                "accuracy at early stop (%)": s["early_stop_test_accuracy"].map(pct),
            }
        )
    )


VARIANT_ORDER = {"ticket": 0, "reinit": 1, "shuffle": 2, "random": 3}


def slice_extrapolation(here: Path) -> str:
    """The whole default run extrapolated from the slice's median training job, with the load it ran under."""
    s, run, job = _slice(here), _slice_run(here), _job(here)
    median = s["train_seconds"].median()
    jobs = int(job["training_jobs"])
    hours = jobs * median / 3600
    overhead = run["wall_seconds"] / s["train_seconds"].sum()
    return (
        f"Extrapolated from the slice (an upper bound: the machine was shared): its {len(s)} training jobs took "
        f"{s['train_seconds'].min():.0f}-{s['train_seconds'].max():.0f} s each (median {median:.0f} s, "
        f"{median / 60:.1f} min) while the one-minute load average of the 2-core machine was "
        f"{run['load1_mean']:.1f} on average (up to {run['load1_max']:.1f}), so the {jobs} training jobs "
        f"of `config.yaml` would take about {hours:.0f} core-hours (about {hours / 8:.1f} hours on 8 cores); "
        f"the whole slice, its pruning, rewinding, control, summary and figure jobs included, took "
        f"{overhead:.2f}× the sum of its training times"
    )


def slice_value(variant: str, round_: int, column: str, fmt):
    """One network's number from the slice's summary (round 0: the dense network)."""

    def get(here: Path) -> str:
        s = _slice(here)
        rows = s[(s["round"] == round_) & (s["variant"] == (variant if round_ else "ticket"))]
        assert len(rows) == 1, f"slice: {len(rows)} rows for {variant} at round {round_}"
        return fmt(rows[column].iloc[0])

    return get


SLICE_RUN = {
    "slice_jobs": lambda here: f"{_slice_run(here)['jobs']:.0f}",
    "slice_training_jobs": lambda here: str(len(_slice(here))),
    "slice_wall": lambda here: (
        f"{_slice_run(here)['wall_seconds'] // 60:.0f} min {_slice_run(here)['wall_seconds'] % 60:.0f} s"
    ),
    "slice_cpu_minutes": lambda here: f"{_slice_run(here)['cpu_seconds'] / 60:.1f}",
    "slice_load_mean": lambda here: f"{_slice_run(here)['load1_mean']:.1f}",
    "slice_load_max": lambda here: f"{_slice_run(here)['load1_max']:.1f}",
    "slice_median_s": lambda here: f"{_slice(here)['train_seconds'].median():.0f}",
    "slice_stop_max": lambda here: num(_slice(here)["early_stop_iteration"].max()),
    "slice_accuracy_spread": lambda here: (
        f"{100 * _slice(here)['early_stop_test_accuracy'].agg(lambda a: a.max() - a.min()):.2f}"
    ),
}
SLICE_ACCURACY = {
    f"slice_{name}_r{r}": slice_value(variant, r, column, fmt)
    for r in (0, 1, 2)
    for variant in (VARIANT_ORDER if r else ["ticket"])
    for name, column, fmt in (
        (f"acc_{variant}", "early_stop_test_accuracy", pct),
        (f"stop_{variant}", "early_stop_iteration", num),
    )
}
SLICE_ACCURACY.update(
    {f"slice_remaining_r{r}": slice_value("ticket", r, "weights_remaining", lambda f: pct(f, 1)) for r in (1, 2)}
)

TABLES = {"job": job_table, "slice": slice_table}
VALUES = {
    "default_run": default_run,
    "default_run_short": default_run_short,
    "slice_extrapolation": slice_extrapolation,
    **SLICE_RUN,
    **SLICE_ACCURACY,
}
