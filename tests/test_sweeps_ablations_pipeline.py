"""Anatomy, sweeps and ablations run for real through Snakemake on
configs/smoke_sweeps_ablations.yaml: the three ablations beside the ticket, a sweep over the
training fraction whose members prune to a target, and the anatomy of every experiment (tmp
workdir, as in test_pipeline.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
import yaml
from test_pipeline import assert_captions_render, job_counts, local_config, run_config, snakemake, write_config

from lth import checkpoint, models
from lth.data import load_splits
from lth.experiment import Experiment
from lth.sweeps import expand

pytestmark = pytest.mark.pipeline

SIZES = {"hidden.0.weight": 784 * 300, "hidden.1.weight": 300 * 100, "output.weight": 100 * 10}


@pytest.fixture(scope="module")
def studies_run(tmp_path_factory, real_data_root):
    workdir = tmp_path_factory.mktemp("studies")
    configfile = run_config(workdir, "smoke_sweeps_ablations.yaml", real_data_root)
    config = yaml.safe_load(configfile.read_text())
    configs, sweeps = expand(config["experiments"])
    experiments = {name: Experiment.from_config(name, cfg) for name, cfg in configs.items()}
    return workdir, configfile, experiments, sweeps


def test_ablations_have_their_own_lines(studies_run):
    workdir, _, experiments, _ = studies_run
    exp = experiments["ablate"]
    summary = pd.read_csv(workdir / "results/ablate/summary.csv")
    assert summary.groupby("round")["variant"].apply(list).to_dict() == {
        0: ["ticket", "clamped"],
        1: ["ticket", "finetune", "inverse", "clamped"],
        2: ["ticket", "finetune", "inverse", "clamped"],
    }
    # Every variant is pruned to the same per-layer counts, round by round.
    assert summary.groupby("round")["weights_remaining"].nunique().eq(1).all()
    assert (summary["prune_rate"] == exp.prune.rate).all()
    # The clamped line has its own tie-order seed, recorded from its masks.
    assert summary.loc[(summary["variant"] == "clamped") & (summary["round"] > 0), "seed_ties"].notna().all()
    assert (workdir / "results/ablate/figures/accuracy.png").stat().st_size > 1000


def test_finetune_never_rewinds(studies_run):
    workdir, *_ = studies_run
    trial = workdir / "results/ablate/trial0"
    for round_, previous in ((1, "round0/ticket"), (2, "round1/finetune")):
        start = checkpoint.load(trial / f"round{round_}/finetune/start.safetensors")
        source = checkpoint.load(trial / f"{previous}/trained.safetensors")
        mask = checkpoint.load(trial / f"round{round_}/mask_finetune.safetensors").masks
        for name, w in source.weights.items():
            assert torch.equal(start.weights[name], w * mask[name] if name in mask else w), (round_, name)
        record = yaml.safe_load((trial / f"round{round_}/finetune/trained.json").read_text())
        assert record["context"]["variant"] == "finetune"


def test_inverse_masks_keep_the_smallest_trained_weights(studies_run):
    workdir, *_ = studies_run
    trial = workdir / "results/ablate/trial0"
    for round_, previous in ((1, "round0/ticket"), (2, "round1/inverse")):
        trained = checkpoint.load(trial / f"{previous}/trained.safetensors")
        mask = checkpoint.load(trial / f"round{round_}/mask_inverse.safetensors").masks
        for name, m in mask.items():
            alive = trained.masks[name]
            magnitude = trained.weights[name].abs()
            removed = alive & ~m
            assert removed.any() and not (m & ~alive).any()
            assert magnitude[m].max() <= magnitude[removed].min(), (round_, name)


def test_clamped_networks_stay_within_their_bounds(studies_run):
    workdir, _, experiments, _ = studies_run
    exp = experiments["ablate"]
    spec = exp.model
    trial = workdir / "results/ablate/trial0"
    for round_ in range(exp.prune.rounds + 1):
        trained = checkpoint.load(trial / f"round{round_}/clamped/trained.safetensors")
        for name in SIZES:
            bound = exp.clamp * models.init_std(spec, tuple(trained.weights[name].shape))
            assert trained.provenance["clamp"]["bounds"][name] == bound
            assert trained.weights[name].abs().max() <= bound, (round_, name)
    # Rounds >= 1 rewind to the clamped run's own θ_k under the clamped chain's mask: for k = 0,
    # θ₀ clipped to the bound, the state its training starts from.
    rewind = checkpoint.load(trial / "rewind_clamped.safetensors")
    theta0 = checkpoint.load(trial / "init.safetensors").weights
    bounds = rewind.provenance["clamp"]["bounds"]
    start = checkpoint.load(trial / "round1/clamped/start.safetensors")
    mask = checkpoint.load(trial / "round1/mask_clamped.safetensors").masks
    for name, bound in bounds.items():
        assert torch.equal(rewind.weights[name], theta0[name].clamp(-bound, bound)), name
        assert torch.equal(start.weights[name], rewind.weights[name] * mask[name]), name


def test_sweep_members_train_on_stratified_subsets_to_a_target(studies_run, mnist_file):
    workdir, _, experiments, sweeps = studies_run
    sweep = sweeps["less_data"]
    assert sweep.members == ("less_data__train_fraction_0p1", "less_data__train_fraction_0p5")
    table = pd.read_csv(workdir / "results/less_data/sweep.csv")
    assert table["sweep_value"].drop_duplicates().astype(str).tolist() == ["0.1", "0.5"]
    assert (table["sweep_key"] == "train_fraction").all()
    for member, fraction in zip(sweep.members, (0.1, 0.5)):
        exp = experiments[member]
        rows = table[table["experiment"] == member]
        assert (rows["train_fraction"] == fraction).all()
        # prune to target_remaining 0.5 in one round: p = 0.5 shown, every layer at floor(N/2 + 1/2)
        assert (rows["prune_rate"] == 0.5).all() and (rows["prune_target_remaining"] == 0.5).all()
        last = rows[rows["round"] == 1].iloc[0]
        for name, n in SIZES.items():
            assert last[f"remaining_{name}"] == math.floor(n * 0.5 + 0.5) / n
        record = yaml.safe_load((workdir / f"results/{member}/trial0/round1/ticket/trained.json").read_text())
        splits = load_splits(mnist_file, exp.data.validation_size, exp.data.split_seed, train_fraction=fraction)
        assert record["data"]["train_examples"] == len(splits.train)
        assert record["data"]["train_fraction"] == fraction
    for stem in ("sweep_accuracy", "sweep_early_stop", "sweep_vs_value"):
        assert (workdir / f"results/less_data/figures/{stem}.png").stat().st_size > 1000


def test_anatomy_of_every_experiment(studies_run):
    workdir, _, experiments, _ = studies_run
    for name in ("ablate", "less_data__train_fraction_0p1"):
        exp = experiments[name]
        stats = pd.read_csv(workdir / f"results/{name}/anatomy.csv")
        assert len(stats) == exp.trials * (exp.prune.rounds + 1) * len(SIZES)
        summary = pd.read_csv(workdir / f"results/{name}/summary.csv")
        tickets = summary[summary["variant"] == "ticket"].set_index("round")
        for round_, rows in stats.groupby("round"):
            assert rows["surviving"].sum() / rows["weights"].sum() == pytest.approx(
                tickets.loc[round_, "weights_remaining"]
            )
        for stem in ("anatomy_init", "anatomy_units", "anatomy_dead"):
            assert (workdir / f"results/{name}/figures/{stem}.png").stat().st_size > 1000


def test_report_lists_the_studies(studies_run, tmp_path):
    """`snakemake --report` renders the new captions (Jinja with the settings; no Docutils system
    message) and files them under the experiment's anatomy and the sweep's own category."""
    workdir, configfile, *_ = studies_run
    report = tmp_path / "report.html"
    snakemake(workdir, "--configfile", str(configfile), "--report", str(report))
    html = report.read_text()
    for name in (
        "anatomy_init.png",
        "anatomy_units.png",
        "anatomy_dead.png",
        "anatomy.csv",
        "sweep.csv",
        "sweep_accuracy.png",
        "sweep_early_stop.png",
        "sweep_vs_value.png",
    ):
        assert name in html, name
    assert "train_fraction = 0.1, 0.5" in html  # the sweep caption's settings
    assert_captions_render(html)


def test_unchanged_studies_config_schedules_nothing(studies_run):
    workdir, configfile, *_ = studies_run
    assert job_counts(snakemake(workdir, "-n", "--configfile", str(configfile)).stdout) == {}


def test_adding_a_sweep_value_schedules_only_that_member(studies_run):
    workdir, configfile, *_ = studies_run
    config = yaml.safe_load(configfile.read_text())
    config["experiments"]["less_data"]["sweep"]["values"].append(0.25)
    more = write_config(workdir / "more.yaml", config)
    counts = job_counts(snakemake(workdir, "-n", "--configfile", str(more)).stdout)
    assert counts == {
        "init": 1,
        "train_dense": 1,
        "prune": 1,
        "rewind": 1,
        "train": 1,
        "summary": 1,
        "figures": 1,
        "structure": 1,
        "structure_figures": 1,
        "anatomy": 1,
        "anatomy_figures": 1,
        "sweep_table": 1,
        "sweep_figures": 1,
        "all": 1,
    }


@pytest.mark.parametrize(
    "edit, culprit",
    [
        (lambda c: c["experiments"]["less_data"]["sweep"].update(key="train.lrr"), "less_data.sweep.key"),
        (lambda c: c["experiments"]["less_data"]["prune"].update(rate=0.2), "less_data__train_fraction_0p1.prune.rate"),
        (lambda c: c.update(run=["ablate", "nope"]), "nope"),
    ],
)
def test_bad_studies_config_fails_before_any_job(tmp_path, data_root, edit, culprit):
    config = local_config("smoke_sweeps_ablations.yaml", data_root)
    edit(config)
    proc = snakemake(tmp_path, "--configfile", str(write_config(tmp_path / "bad.yaml", config)), check=False)
    assert proc.returncode != 0
    assert culprit in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()
