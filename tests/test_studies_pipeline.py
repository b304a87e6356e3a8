"""The studies through real Snakemake: configs/smoke_studies.yaml in a temporary working directory
(the ticket study on real Fashion-MNIST and the XOR study), re-runs and config errors."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest
import torch
import yaml
from test_pipeline import (
    REPO,
    assert_captions_render,
    job_counts,
    local_config,
    render,
    run_config,
    snakemake,
    write_config,
)

from lth import checkpoint, masks
from lth.combinatorics import log10_comb
from lth.experiment import Experiment
from lth.studies import study_from_config
from lth.studies.ticket import find_ticket
from lth.sweeps import expand

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def studies_run(tmp_path_factory, real_data_root):
    workdir = tmp_path_factory.mktemp("studies")
    return workdir, run_config(workdir, "smoke_studies.yaml", real_data_root)


def test_xor_tables(studies_run):
    workdir, configfile = studies_run
    study = study_from_config("xor_smoke", yaml.safe_load(configfile.read_text())["studies"]["xor_smoke"], {})
    out = workdir / "results/xor_smoke"
    t1, t2 = pd.read_csv(out / "table1.csv"), pd.read_csv(out / "table2.csv")
    assert t1["width"].tolist() == list(study.widths) and (t1["nets"] == study.inits).all()
    assert len(t2) == len(study.prune_to) * len(study.heuristics) * len(study.modes)
    assert set(t2["units"]) == set(study.prune_to) and (t2["nets"] == study.inits).all()
    for frame in (t1, t2):
        assert frame[["db_success_pct", "zl_success_pct"]].apply(lambda c: c.between(0, 100)).all().all()
    for name in ("table1.html", "table2.html"):
        assert "<table" in (out / name).read_text()
    assert (out / "figures/xor_success.png").stat().st_size > 1000
    # Every net of Table 1 is recorded with its own seed.
    dense = pd.read_csv(out / "h2/outcomes.csv")
    assert len(dense) == study.inits and dense["seed_init"].nunique() == study.inits


def test_ticket_study_outputs(studies_run):
    workdir, configfile = studies_run
    config = yaml.safe_load(configfile.read_text())
    exp = Experiment.from_config("fashion_small_smoke", config["experiments"]["fashion_small_smoke"])
    study = study_from_config("fashion_ticket_smoke", config["studies"]["fashion_ticket_smoke"], {exp.name: exp})
    out = workdir / "results/fashion_ticket_smoke"
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == exp.trials
    row = summary.iloc[0]
    # The ticket is the criterion search on the experiment's own summary, and its size is the
    # layerwise pruning arithmetic of its round.
    expected = find_ticket(pd.read_csv(workdir / f"results/{exp.name}/summary.csv"), study.criterion, study.metric)
    assert row["ticket_round"] == expected["round"].iloc[0]
    sizes = {"hidden.0.weight": 784 * 8, "hidden.1.weight": 8 * 4, "output.weight": 4 * 10}
    k = sum(masks.survivors(n, 0.2, int(row["ticket_round"])) for n in sizes.values())
    assert (row["dense_weights"], row["ticket_weights"]) == (6344, k)
    assert row["log10_subnetworks_of_ticket_size"] == pytest.approx(log10_comb(6344, k))
    assert row["new_init_iterations"] == study.new_init_budget * exp.train.iterations
    # Pruning without retraining: exact counts per percentile band.
    sweep = pd.read_csv(out / "no_retraining.csv")
    assert sweep["params_kept"].tolist() == [6344 - int(p * 6344 / 100 + 0.5) for p in study.percentiles]
    stats = pd.read_csv(out / "weight_stats.csv").set_index("layer")
    assert stats.loc["all", "count"] == 6344
    # The new init trains the ticket's mask; its pruned weights are exactly zero.
    mask = checkpoint.load(out / "trial0/ticket_mask.safetensors").masks
    trained = checkpoint.load(out / "trial0/new_init/trained.safetensors")
    start = checkpoint.load(out / "trial0/new_init/start.safetensors")
    init = checkpoint.load(workdir / f"results/{exp.name}/trial0/init.safetensors")
    for name, m in mask.items():
        assert torch.equal(trained.masks[name], m) and (trained.weights[name][~m] == 0).all()
        assert not torch.equal(start.weights[name], init.weights[name] * m)  # a new init, not θ₀
    for name in ("weights", "pruning", "new_init"):
        assert (out / f"figures/{name}.png").stat().st_size > 1000
    assert "<table" in (out / "summary.html").read_text()


def test_report_shows_the_studies(studies_run, tmp_path):
    """`snakemake --report` with the studies: each study is a group of its own, listing its tables
    and figures, and the XOR tables appear as rendered tables, not downloads."""
    workdir, configfile = studies_run
    report = tmp_path / "report.html"
    snakemake(workdir, "--configfile", str(configfile), "--report", str(report))
    assert_captions_render(report.read_text())
    text, _ = render(report)
    ticket = re.search(r"fashion_ticket_smoke : ([^:]*?)(?= \w+ :|$)", text).group(1)
    for name in (
        "weight_stats.html",
        "no_retraining.html",
        "summary.html",
        "weights.png",
        "pruning.png",
        "new_init.png",
    ):
        assert name in ticket, name
    xor_entry = re.search(r"xor_smoke : ([^:]*?)(?= \w+ :|$)", text).group(1)
    for name in ("table1.html", "table2.html", "xor_success.png"):
        assert name in xor_entry, name
    # The report embeds the table as an HTML page (it shows it in a frame): rendered on its own, it
    # is a table with the study's numbers.
    html = report.read_text()
    entry = html[html.index('"results/xor_smoke/table1.html": {') :]
    encoded = re.search(r'"data_uri": "data:text/html;[^"]*?base64,([^"]+)"', entry).group(1)
    page = tmp_path / "table1.html"
    page.write_bytes(base64.b64decode(encoded))
    text, _ = render(page)
    table1 = pd.read_csv(workdir / "results/xor_smoke/table1.csv")
    assert "<table" in page.read_text()
    for value in table1["db_success_pct"]:
        assert f" {value:g} " in text, text


def test_unchanged_studies_schedule_nothing(studies_run):
    workdir, configfile = studies_run
    assert job_counts(snakemake(workdir, "-n", "--configfile", str(configfile)).stdout) == {}


def test_study_edits_rerun_only_what_they_touch(studies_run):
    workdir, configfile = studies_run
    more = write_config(workdir / "heuristic.yaml", {"studies": {"xor_smoke": {"heuristics": ["product", "input"]}}})
    counts = job_counts(snakemake(workdir, "-n", "--configfile", str(configfile), str(more)).stdout)
    assert counts == {"xor_prune": 2, "xor_tables": 1, "all": 1}
    # Units per round concern iterative pruning only: the one-shot job stays.
    per_round = write_config(workdir / "per_round.yaml", {"studies": {"xor_smoke": {"per_round": 1}}})
    counts = job_counts(snakemake(workdir, "-n", "--configfile", str(configfile), str(per_round)).stdout)
    assert counts == {"xor_prune": 1, "xor_tables": 1, "all": 1}
    criterion = write_config(workdir / "criterion.yaml", {"studies": {"fashion_ticket_smoke": {"criterion": 0.3}}})
    counts = job_counts(snakemake(workdir, "-n", "--configfile", str(configfile), str(criterion)).stdout)
    # The ticket may change, so its new-init run follows; the IMP experiment is untouched.
    assert counts == {
        "ticket_select": 1,
        "ticket_new_init_start": 1,
        "ticket_new_init_train": 1,
        "ticket_summary": 1,
        "ticket_figures": 1,
        "all": 1,
    }


@pytest.mark.parametrize(
    "edit, culprit",
    [
        (
            lambda c: c["studies"]["xor_smoke"].update(heuristics=["bias"]),
            "studies.xor_smoke.heuristics: unknown value 'bias'",
        ),
        (lambda c: c["studies"]["xor_smoke"].update(kind="xnor"), "studies.xor_smoke.kind: unknown value 'xnor'"),
        (lambda c: c["studies"]["fashion_ticket_smoke"].update(experiment="nope"), "unknown experiment 'nope'"),
        (lambda c: c.update(run=["fashion_ticket_smok"]), "unknown experiment, sweep or study 'fashion_ticket_smok'"),
    ],
)
def test_bad_study_config_fails_before_any_job(tmp_path, data_root, edit, culprit):
    config = local_config("smoke_studies.yaml", data_root)
    edit(config)
    proc = snakemake(tmp_path, "--configfile", str(write_config(tmp_path / "bad.yaml", config)), check=False)
    assert proc.returncode != 0
    assert culprit in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def test_default_config_studies_dry_run(tmp_path):
    """`snakemake studies` on config.yaml: the XOR jobs and each ticket study with its IMP run."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    proc = snakemake(tmp_path, "-n", "studies", "--configfile", str(REPO / "config.yaml"))
    configs, sweeps = expand(config["experiments"])
    experiments = {n: Experiment.from_config(n, c) for n, c in configs.items()}
    studies = {n: study_from_config(n, c, experiments, sweeps) for n, c in config["studies"].items()}
    expected = {"data": 0, "studies": 1}

    def add(**jobs):
        for rule, n in jobs.items():
            expected[rule] = expected.get(rule, 0) + n

    datasets = set()
    for study in studies.values():
        if study.kind == "xor":
            add(xor_dense=len(study.dense_widths()), xor_prune=len(study.heuristics) * len(study.modes), xor_tables=1)
            continue
        exp = experiments[study.experiment]
        datasets.add(exp.data.dataset)
        t, r, c = exp.trials, exp.prune.rounds, len(exp.controls)
        add(
            init=t,
            train_dense=t,
            prune=t * r,
            rewind=t * r,
            control=t * r * c,
            train=t * r * (1 + c),
            summary=1,
            ticket_weights=1,
            ticket_select=t,
            ticket_new_init_start=t,
            ticket_new_init_train=t,
            ticket_summary=1,
            ticket_figures=1,
        )
    expected["data"] = len(datasets)
    assert job_counts(proc.stdout) == {rule: n for rule, n in expected.items() if n}
