"""The Snakemake pipeline, run for real (no mocks) on the smoke configuration.

Each test drives `snakemake` in a subprocess with a temporary working directory, so results land
there and nothing in the checkout changes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image
import pandas as pd
import pytest
import torch
import yaml

from lth import checkpoint
from lth.experiment import Experiment
from lth.masks import survivors

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile")]

pytestmark = pytest.mark.pipeline


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), "--cores", "2", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=1500,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def job_counts(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a dry run into {rule: count}."""
    counts = {}
    if "Job stats:" not in output:
        return counts
    for line in output.split("Job stats:")[1].splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match:
            break
        counts[match.group(1)] = int(match.group(2))
    counts.pop("total", None)
    return counts


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def local_config(name: str, data_root: Path) -> dict:
    """``configs/<name>`` with its data root pointed at the tests' data folder."""
    config = yaml.safe_load((REPO / "configs" / name).read_text())
    config["data_root"] = str(data_root)
    return config


def run_config(workdir: Path, name: str, data_root: Path) -> Path:
    """Run Snakemake for real on ``configs/<name>`` in ``workdir``; returns the config file used."""
    configfile = write_config(workdir / name, local_config(name, data_root))
    snakemake(workdir, "--configfile", str(configfile))
    return configfile


def expected_jobs(exp: Experiment, rounds: range | None = None, trials: bool = True) -> dict[str, int]:
    """Jobs per rule for the given rounds of every trial (all rounds by default), as docs/method.md's formula says."""
    rounds = range(1, exp.prune.rounds + 1) if rounds is None else rounds
    t, r, c = exp.trials, len(rounds), len(exp.controls)
    families = 2 if exp.prune.mode == "both" else 1
    jobs = {
        "prune": t * r * families,
        "rewind": t * r * families,
        "control": t * r * c,
        "train": t * r * (len(exp.variants(1))),
    }
    if trials:
        jobs.update(init=t, train_dense=t)
        if exp.instability:
            ks = exp.instability.rewind_iterations
            points = len(exp.instability.rounds) * len(ks)
            spawned = [k for k in ks if k not in (0, exp.rewind_iteration)]
            # IMP rewinding to each other k: iterative, every round up to the largest asked for
            # (trained) and its own prunes from round 2 on (round 1's mask is shared); one-shot
            # masks are all shared, so only the rounds asked for are trained.
            chains = len([k for k in ks if k != exp.rewind_iteration])
            sparse = [r for r in exp.instability.rounds if r > 0]
            iterative = exp.ticket_mask == "iterative"
            trained = max(sparse, default=0) if iterative else len(sparse)
            jobs.update(
                instability_start=t * points,
                instability_train=2 * t * points,
                interpolate=t * points,
                spawn=t * len(spawned),
                rewind_k_start=t * chains * trained,
                rewind_k_train=t * chains * trained,
                rewind_k_prune=t * chains * max(0, trained - 1) * iterative,
                instability_table=1,
                imp_rewinding=1,
                instability_figures=1,
            )
    jobs.update(summary=1, figures=1, all=1)
    if exp.prune.rounds >= 1:
        jobs.update(structure=1, structure_figures=1, anatomy=1, anatomy_figures=1)
    return {k: v for k, v in jobs.items() if v}


def test_default_config_dry_run_job_counts(tmp_path):
    """`snakemake -n` on config.yaml: jobs per rule follow docs/method.md's formula."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    proc = snakemake(tmp_path, "-n", "--configfile", str(REPO / "config.yaml"))
    exp = Experiment.from_config("lenet_mnist", config["experiments"]["lenet_mnist"])
    t, r, c = exp.trials, exp.prune.rounds, len(exp.controls)
    assert (
        job_counts(proc.stdout)
        == {
            "all": 1,
            "data": 1,
            "init": t,
            "train_dense": t,
            "prune": t * r,
            "rewind": t * r,
            "control": t * r * c,
            "train": t * r * (1 + c),
            "summary": 1,
            "figures": 1,
            "structure": 1,
            "structure_figures": 1,
            "anatomy": 1,
            "anatomy_figures": 1,
        }
        == {"data": 1, **expected_jobs(exp)}
    )


def shell_commands(output: str) -> list[str]:
    """The `lth` commands a dry run with -p prints."""
    prefix = "Shell command: "
    return [line[len(prefix) :] for line in output.splitlines() if line.startswith(prefix + "lth ")]


def flag(command: str, name: str) -> str | None:
    match = re.search(rf"--{name} (\S+)", command)
    return match.group(1) if match else None


@pytest.mark.parametrize("mode", ["both", "oneshot"])
def test_sparse_copies_at_k_start_from_imp_rewound_to_k(tmp_path, data_root, mode):
    """The sparse copies at k start from mask ⊙ θ_k with the mask IMP finds when it rewinds to k
    (Frankle et al. 2020, section 5): k = rewind_iteration reuses the experiment's own run; any
    other k has its own ticket-only run up to the largest round asked, rewound to θ_k and trained
    from k, whose round r prunes its own round r-1. Round 1's mask and one-shot masks prune the
    dense network every run shares, so they are the experiment's files (no job twice)."""
    config = local_config("smoke.yaml", data_root)
    cfg = config["experiments"]["smoke"]
    cfg["prune"].update(rounds=4, mode=mode)
    cfg["instability"] = {"rewind_iterations": [0, 50, 100], "rounds": [0, 1, 3], "points": 5}
    proc = snakemake(tmp_path, "-n", "-p", "--configfile", str(write_config(tmp_path / "k.yaml", config)))
    exp = Experiment.from_config("smoke", cfg)
    assert exp.rewind_iteration == 50
    assert job_counts(proc.stdout) == {"data": 1, **expected_jobs(exp)}
    by_out = {flag(c, "out"): c for c in shell_commands(proc.stdout)}
    family = exp.ticket_mask
    iterative = family == "iterative"
    for t in range(exp.trials):
        trial = f"results/smoke/trial{t}"
        theta = {
            0: f"{trial}/init.safetensors",
            50: f"{trial}/rewind.safetensors",
            100: f"{trial}/spawn/k100.safetensors",
        }
        for k in (0, 50, 100):
            run = trial if k == 50 else f"{trial}/rewind_k{k}"

            def mask(r):
                return f"{run if iterative and r > 1 else trial}/round{r}/mask_{family}.safetensors"  # noqa: B023

            for r in (0, 1, 3):
                start = by_out[f"{trial}/instability/round{r}/k{k}/start.safetensors"]
                assert flag(start, "weights") == theta[k]
                assert flag(start, "mask") == (mask(r) if r else None)
            if k == 50:  # the experiment's own run: nothing under rewind_k50
                assert not any("rewind_k50" in (out or "") for out in by_out)
                continue
            for r in (1, 2, 3) if iterative else (1, 3):
                start = by_out[f"{run}/round{r}/ticket/start.safetensors"]
                assert (flag(start, "mask"), flag(start, "weights")) == (mask(r), theta[k])
                train = by_out[f"{run}/round{r}/ticket/trained.safetensors"]
                assert flag(train, "start") == f"{run}/round{r}/ticket/start.safetensors"
                assert flag(train, "start-iteration") == str(k)
                assert flag(train, "order-seed") == str(exp.order_seed(t))
                if iterative and r > 1:
                    assert flag(by_out[mask(r)], "trained") == f"{run}/round{r - 1}/ticket/trained.safetensors"
            assert f"{run}/round4/ticket/start.safetensors" not in by_out  # only up to round 3
            assert (f"{run}/round2/ticket/start.safetensors" in by_out) == iterative  # one-shot: rounds asked only
    own_masks = [out for out in by_out if out and "/rewind_k" in out and "/mask_" in out]
    assert len(own_masks) == (exp.trials * 2 * 2 if iterative else 0)  # rounds 2 and 3 of k = 0 and k = 100


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory, real_data_root):
    """One real smoke run, shared by the tests that inspect or extend it."""
    workdir = tmp_path_factory.mktemp("smoke")
    return workdir, run_config(workdir, "smoke.yaml", real_data_root)


def test_smoke_run_writes_summary_and_figures(smoke_run):
    workdir, configfile = smoke_run
    config = yaml.safe_load(configfile.read_text())
    exp = Experiment.from_config("smoke", config["experiments"]["smoke"])
    out = workdir / "results/smoke"
    for stem in ("accuracy", "early_stop", "curves", "structure", "instability_paths", "instability_vs_k"):
        for ext in ("png", "pdf"):
            assert (out / "figures" / f"{stem}.{ext}").stat().st_size > 1000
    summary = pd.read_csv(out / "summary.csv")
    expected_rows = exp.trials * (1 + exp.prune.rounds * len(exp.variants(1)))
    assert len(summary) == expected_rows
    assert summary.groupby(["trial", "round", "variant"]).size().max() == 1
    required = {
        "experiment",
        "trial",
        "round",
        "variant",
        "weights_remaining",
        "early_stop_iteration",
        "early_stop_val_loss",
        "early_stop_test_accuracy",
        "final_test_accuracy",
        "max_test_accuracy",
    }
    assert required <= set(summary.columns)
    assert set(summary["variant"]) == {"ticket", "oneshot", *exp.controls}
    # weights_remaining is exactly the mask arithmetic of the pruning schedule (LeNet: 784-300-100-10).
    sizes = {"hidden.0.weight": 784 * 300, "hidden.1.weight": 300 * 100, "output.weight": 100 * 10}
    rates = {"hidden.0.weight": 0.2, "hidden.1.weight": 0.2, "output.weight": 0.1}
    for round_, rows in summary.groupby("round"):
        kept = {k: survivors(n, rates[k], round_) for k, n in sizes.items()}
        assert rows["weights_remaining"].tolist() == pytest.approx(
            [sum(kept.values()) / sum(sizes.values())] * len(rows), abs=0
        )
        for layer, n in sizes.items():
            assert (rows[f"remaining_{layer}"] == kept[layer] / n).all()
    # Every output records its seeds; controls have their own.
    assert summary["seed_init"].notna().all() and summary["seed_order"].notna().all()
    assert summary.loc[summary["variant"] == "reinit", "seed_reinit"].notna().all()


def test_smoke_run_writes_instability_and_structure(smoke_run):
    workdir, configfile = smoke_run
    config = yaml.safe_load(configfile.read_text())
    exp = Experiment.from_config("smoke", config["experiments"]["smoke"])
    out = workdir / "results/smoke"
    table = pd.read_csv(out / "instability.csv")
    points = len(exp.instability.rounds) * len(exp.instability.rewind_iterations)
    assert len(table) == exp.trials * points * 2  # train and test split
    assert set(table["k"]) == set(exp.instability.rewind_iterations)
    assert table["instability"].notna().all() and (table["max_error"] >= table["endpoint_error"]).all()
    paths = pd.read_csv(out / "instability_paths.csv")
    assert paths.groupby(["trial", "round", "k", "split"]).size().eq(exp.instability.points).all()
    assert_copies_start_from_imp_rewound_to_k(out, exp)
    structure = pd.read_csv(out / "structure.csv")
    assert {"trial", "layer", "round_a", "round_b", "comparison", "spearman", "jaccard", "kept_fraction"} <= set(
        structure.columns
    )
    assert set(structure["trial"]) == set(range(exp.trials))
    assert (structure["kept_fraction"] == 1.0).all()  # IMP masks are nested
    assert structure["spearman"].between(-1, 1).all()
    # Late rewinding: rounds >= 1 start at iteration k and record it.
    record = yaml.safe_load((out / "trial0/round1/ticket/trained.json").read_text())
    assert record["start_iteration"] == exp.rewind_iteration == 50


def assert_copies_start_from_imp_rewound_to_k(out: Path, exp: Experiment) -> None:
    """On the real files: the sparse copies at k = 0 start from exactly θ₀ ⊙ the mask of the IMP
    run rewinding to 0, which is not the experiment's mask (rewinding to 50), and those at k = 50
    from the experiment's own; the accuracy table holds each run's trained tickets."""
    from lth import checkpoint

    assert exp.rewind_iteration == 50 and exp.instability.rewind_iterations == (0, 50)
    (round_,) = exp.instability.rounds
    imp = pd.read_csv(out / "imp_rewinding.csv")
    summary = pd.read_csv(out / "summary.csv")
    for t in range(exp.trials):
        trial = out / f"trial{t}"

        def load(path):
            return checkpoint.load(path, "state")

        own, at0 = (
            load(trial / f"round{round_}/mask_iterative.safetensors"),
            load(trial / f"rewind_k0/round{round_}/mask_iterative.safetensors"),
        )
        theta0 = load(trial / "init.safetensors")
        start0, start50 = (load(trial / f"instability/round{round_}/k{k}/start.safetensors") for k in (0, 50))
        assert at0.provenance["context"]["k"] == 0
        for name in own.masks:
            assert torch.equal(start0.masks[name], at0.masks[name])
            assert torch.equal(start50.masks[name], own.masks[name])
            assert torch.equal(start0.weights[name], theta0.weights[name] * at0.masks[name])
        assert any(not torch.equal(own.masks[n], at0.masks[n]) for n in own.masks)  # the runs diverge by round 2
        # Same counts at every k: the schedule does not depend on the rewind point.
        assert {n: int(m.sum()) for n, m in at0.masks.items()} == {n: int(m.sum()) for n, m in own.masks.items()}
        rows = imp[imp["trial"] == t].set_index(["round", "k"])["final_test_accuracy"]
        ticket = summary[(summary["trial"] == t) & (summary["variant"] == "ticket")].set_index("round")[
            "final_test_accuracy"
        ]
        assert rows[(0, 0)] == rows[(0, 50)] == ticket[0]  # the dense network, shared
        assert rows[(round_, 50)] == ticket[round_]  # the experiment's own ticket
        assert (
            rows[(round_, 0)]
            == load(trial / f"rewind_k0/round{round_}/ticket/trained.safetensors").provenance["summary"][
                "final_test_accuracy"
            ]
        )
    assert len(imp) == exp.trials * 2 * 2


def test_adding_a_k_schedules_only_its_imp_run_and_pairs(smoke_run):
    workdir, configfile = smoke_run
    config = yaml.safe_load(configfile.read_text())
    exp = Experiment.from_config("smoke", config["experiments"]["smoke"])
    ks = [*exp.instability.rewind_iterations, 100]
    override = write_config(
        workdir / "more_k.yaml", {"experiments": {"smoke": {"instability": {"rewind_iterations": ks}}}}
    )
    proc = snakemake(workdir, "-n", "--configfile", str(configfile), str(override))
    t, (round_,) = exp.trials, exp.instability.rounds
    assert job_counts(proc.stdout) == {
        "spawn": t,
        "rewind_k_prune": t * (round_ - 1),
        "rewind_k_start": t * round_,
        "rewind_k_train": t * round_,
        "instability_start": t,
        "instability_train": 2 * t,
        "interpolate": t,
        "instability_table": 1,
        "imp_rewinding": 1,
        "instability_figures": 1,
        "all": 1,
    }


def test_unchanged_config_schedules_nothing(smoke_run):
    workdir, configfile = smoke_run
    proc = snakemake(workdir, "-n", "--configfile", str(configfile))
    assert job_counts(proc.stdout) == {}, proc.stdout[-2000:]


def test_raising_rounds_schedules_only_the_new_round(smoke_run):
    workdir, configfile = smoke_run
    config = yaml.safe_load(configfile.read_text())
    exp = Experiment.from_config("smoke", config["experiments"]["smoke"])
    rounds = exp.prune.rounds + 1
    override = write_config(workdir / "more_rounds.yaml", {"experiments": {"smoke": {"prune": {"rounds": rounds}}}})
    proc = snakemake(workdir, "-n", "--configfile", str(configfile), str(override))
    assert job_counts(proc.stdout) == expected_jobs(exp, rounds=range(rounds, rounds + 1), trials=False)


def test_learning_rate_change_reruns_only_that_experiments_training(smoke_run):
    workdir, configfile = smoke_run
    config = yaml.safe_load(configfile.read_text())
    # Another experiment's settings never touch this one's jobs.
    config["experiments"]["other"] = {**config["experiments"]["smoke"], "train": {"lr": 5e-4}}
    both = write_config(workdir / "both.yaml", config)
    assert job_counts(snakemake(workdir, "-n", "--configfile", str(both)).stdout) == {}
    # This experiment's learning rate re-runs its training and everything downstream, not data or init.
    override = write_config(workdir / "lr.yaml", {"experiments": {"smoke": {"train": {"lr": 1e-3}}}})
    counts = job_counts(snakemake(workdir, "-n", "--configfile", str(both), str(override)).stdout)
    exp = Experiment.from_config("smoke", config["experiments"]["smoke"])
    expected = expected_jobs(exp)
    del expected["init"]
    assert counts == expected


def test_shuffle_control_in_the_pipeline_and_its_output_switch(smoke_run):
    """The pipeline's shuffle start holds the ticket's start values of each hidden layer at new
    positions and the ticket's output layer; `shuffle_output` re-runs only the shuffle jobs."""
    workdir, configfile = smoke_run
    config = yaml.safe_load(configfile.read_text())
    exp = Experiment.from_config("smoke", config["experiments"]["smoke"])
    round1 = workdir / "results/smoke/trial0/round1"
    ticket, shuffled = (checkpoint.load(round1 / v / "start.safetensors") for v in ("ticket", "shuffle"))
    for name in ("hidden.0.weight", "hidden.1.weight"):
        assert not (shuffled.masks[name] == ticket.masks[name]).all(), name
        values = [c.weights[name][c.masks[name]].sort().values for c in (ticket, shuffled)]
        assert values[0].equal(values[1]), name
    for name in ("output.weight", "output.bias", "hidden.0.bias"):
        assert ticket.weights[name].equal(shuffled.weights[name]), name
    assert yaml.safe_load((round1 / "shuffle/start.json").read_text())["shuffled_layers"] == [
        "hidden.0.weight",
        "hidden.1.weight",
    ]
    override = write_config(workdir / "shuffle_output.yaml", {"experiments": {"smoke": {"shuffle_output": True}}})
    counts = job_counts(snakemake(workdir, "-n", "--configfile", str(configfile), str(override)).stdout)
    shuffles = exp.trials * exp.prune.rounds
    assert counts == {"control": shuffles, "train": shuffles, "summary": 1, "figures": 1, "all": 1}


def test_editing_the_control_start_reruns_the_controls_and_what_follows(smoke_run, tmp_path):
    """A rule's code version covers every lth module its subcommand imports (lth/codeversion.py):
    with `lth.controls` edited in a copy of the checkout, the smoke run's control starts are due
    again (their params changed), with the controls' training and the tables and figures over
    them, and nothing else."""
    workdir, configfile = smoke_run
    copy = tmp_path / "checkout"
    copy.mkdir()
    for name in ("Snakefile", "config.yaml", "workflow", "lth", "envs", "profiles"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copy)(REPO / name, copy / name)
    with (copy / "lth" / "controls.py").open("a") as f:
        f.write("\n# an edit of the control starts\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(copy / "Snakefile"),
            "--directory",
            str(workdir),
            "--cores",
            "1",
            "-n",
            "--configfile",
            str(configfile),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    exp = Experiment.from_config("smoke", yaml.safe_load(configfile.read_text())["experiments"]["smoke"])
    controls = exp.trials * exp.prune.rounds * len(exp.controls)
    assert job_counts(proc.stdout) == {"control": controls, "train": controls, "summary": 1, "figures": 1, "all": 1}


@pytest.mark.parametrize(
    "edit, culprit",
    [
        (lambda e: e.update(learning_rate=0.1), "learning_rate"),
        (lambda e: e["train"].update(lr_typo=0.1), "lr_typo"),
        (lambda e: e["train"].update(iterations="many"), "many"),
        (lambda e: e["model"].update(name="resnet1000"), "resnet1000"),
        (lambda e: e.update(controls=["reinit", "bogus"]), "bogus"),
        (lambda e: e.update(shuffle_output="yes"), "shuffle_output"),
    ],
)
def test_bad_config_fails_before_any_job(tmp_path, data_root, edit, culprit):
    config = local_config("smoke.yaml", data_root)
    edit(config["experiments"]["smoke"])
    configfile = write_config(tmp_path / "bad.yaml", config)
    proc = snakemake(tmp_path, "--configfile", str(configfile), check=False)
    assert proc.returncode != 0
    assert culprit in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


PAPER_RECIPES = [
    "conv2_cifar10",
    "conv4_cifar10",
    "conv6_cifar10",
    "vgg19_cifar10",
    "vgg19_cifar10_lr001",
    "vgg19_cifar10_warmup",
    "resnet20_cifar10",
    "resnet20_cifar10_lr001",
    "resnet20_cifar10_warmup",
    "lenet_mnist_lmc",
    "resnet20_cifar10_lmc",
    "resnet20_cifar10_lmc_low",
    "resnet20_cifar10_lmc_warmup",
    "vgg16_cifar10_lmc",
]


def test_paper_recipes_dry_run_job_counts(tmp_path):
    """The LTH CIFAR-10 and the LMC recipes of config.yaml build their whole DAGs (one data job
    per dataset)."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    assert set(PAPER_RECIPES) <= set(config["experiments"])
    override = write_config(tmp_path / "recipes.yaml", {"run": PAPER_RECIPES})
    proc = snakemake(tmp_path, "-n", "--configfile", str(REPO / "config.yaml"), str(override))
    expected = {"data": len({config["experiments"][name]["dataset"] for name in PAPER_RECIPES})}
    for name in PAPER_RECIPES:
        for rule, n in expected_jobs(Experiment.from_config(name, config["experiments"][name])).items():
            expected[rule] = expected.get(rule, 0) + (n if rule != "all" else 0)
    expected["all"] = 1
    assert job_counts(proc.stdout) == expected


def test_conv2_smoke_run_on_the_cifar_subset(tmp_path, real_data_root):
    """configs/smoke_conv2.yaml end to end: exact layerwise counts with the conv rate, zeros stay zero."""
    from lth import checkpoint

    run_config(tmp_path, "smoke_conv2.yaml", real_data_root)
    out = tmp_path / "results/smoke_conv2"
    summary = pd.read_csv(out / "summary.csv")
    assert sorted(zip(summary["round"], summary["variant"])) == [(0, "ticket"), (1, "reinit"), (1, "ticket")]
    # Conv-2 on 32×32×3: two 3×3 convolutions (conv rate 10%), fc 16384-256-256 (20%), output (10%).
    sizes = {
        "convs.0.weight": 3 * 64 * 9,
        "convs.1.weight": 64 * 64 * 9,
        "hidden.0.weight": 16384 * 256,
        "hidden.1.weight": 256 * 256,
        "output.weight": 256 * 10,
    }
    rates = {
        "convs.0.weight": 0.1,
        "convs.1.weight": 0.1,
        "hidden.0.weight": 0.2,
        "hidden.1.weight": 0.2,
        "output.weight": 0.1,
    }
    for layer, n in sizes.items():
        assert (summary.loc[summary["round"] == 1, f"remaining_{layer}"] == survivors(n, rates[layer], 1) / n).all()
    trained = checkpoint.load(out / "trial0/round1/ticket/trained.safetensors", "trained")
    for layer, mask in trained.masks.items():
        assert int(mask.sum()) == survivors(sizes[layer], rates[layer], 1)
        assert bool((trained.weights[layer][~mask] == 0).all())
    for stem in ("accuracy", "early_stop", "curves"):
        assert (out / "figures" / f"{stem}.png").stat().st_size > 1000


# --- The HTML report, rendered in a real browser -------------------------------------------------


def chromium() -> str:
    """Debian's headless-capable Chromium, installed with apt-get when missing (CI runs as root);
    skips, naming the package, only where it is missing and cannot be installed (not root)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.skip("chromium is not installed and installing it needs root: apt-get install chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=300, check=True)
        subprocess.run(install, env=env, capture_output=True, timeout=900, check=True)
    return shutil.which("chromium")


def render(page: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """The page as headless Chromium shows it after its scripts ran: the visible text (scripts and
    styles left out) and the sources of its images; optionally a 1600×900 screenshot."""
    shot = [f"--screenshot={screenshot}"] if screenshot else []
    proc = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1600,900",
            "--virtual-time-budget=20000",
            *shot,
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]

    class Visible(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hidden, self.text, self.images = 0, [], []

        def handle_starttag(self, tag, attrs):
            self.hidden += tag in ("script", "style")
            if tag == "img":
                self.images.append(dict(attrs).get("src", ""))

        def handle_endtag(self, tag):
            self.hidden -= tag in ("script", "style")

        def handle_data(self, data):
            if not self.hidden:
                self.text.append(data)

    parser = Visible()
    parser.feed(proc.stdout)
    return " ".join(" ".join(parser.text).split()), parser.images


def assert_captions_render(html: str) -> None:
    """No caption of a report holds a Docutils system message, the block Docutils writes in place of
    reStructuredText it cannot read (e.g. "Undefined substitution referenced" for a |θ|)."""
    messages = re.findall(r"System Message: [A-Z]+/\d[^<\\]*", html)
    assert not messages and "system-message" not in html, messages


def test_report_renders_in_chromium(smoke_run, tmp_path):
    """`snakemake --report results/report.html --configfile <the run's>`, as documented: one
    self-contained HTML file whose captions render without a Docutils system message; in Chromium
    its start page shows the workflow description and lists every figure and table by experiment
    and analysis, and a figure shows with its own caption stating the experiment's settings (the view
    the README's screenshot is). A report built for a config whose results are missing says which
    config that is and which run results/ holds.
    Set LTH_REPORT_SCREENSHOT=docs/report_smoke.png to save that screenshot."""
    workdir, configfile = smoke_run
    report = tmp_path / "report.html"
    snakemake(workdir, "--report", str(report), "--configfile", str(configfile))
    html = report.read_text()
    assert not re.search(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=[\"']?https?:", html), (
        "report loads a remote resource"
    )
    assert_captions_render(html)
    flat = re.sub(r"(?:\\n|\s)+", " ", html)  # the captions sit in JSON strings, newlines as \n
    assert "With late rewinding to iteration k = 50, every sparse network (the ticket and the control) starts" in flat

    other = snakemake(
        workdir, "--report", str(tmp_path / "other.html"), "--configfile", str(REPO / "config.yaml"), check=False
    )
    said = other.stdout + other.stderr
    assert other.returncode != 0 and not (tmp_path / "other.html").exists()
    assert (
        f"report: the report is built for --configfile {REPO / 'config.yaml'}, whose results are missing: "
        "results/lenet_mnist/"
    ) in said
    assert (
        "results/ holds: smoke (run by configs/smoke.yaml). Build the report with the config files of the run, "
        "e.g. snakemake --report results/report.html --configfile configs/smoke.yaml"
    ) in said

    text, _ = render(report)
    figures = sorted(p.name for p in (workdir / "results/smoke/figures").glob("*.png"))
    assert "Lottery-ticket experiments run with lth" in text
    # The experiment's entry: "smoke : figures (accuracy.png, …); instability (…); …".
    entry = re.search(r"smoke : ((?:\w+ \([^)]*\)(?:; )?)+)", text).group(1)
    listed = {analysis: names.split(", ") for analysis, names in re.findall(r"(\w+) \(([^)]*)\)", entry)}
    assert {"accuracy.png", "early_stop.png", "curves.png"} <= set(listed["figures"])
    assert "summary.csv" in listed["tables"]
    assert {"structure.csv", "structure.png"} <= set(listed["structure"])
    assert {
        "instability.csv",
        "imp_rewinding.csv",
        "instability_paths.png",
        "instability_vs_k.png",
        "imp_rewinding_vs_k.png",
    } <= set(listed["instability"])
    assert sorted(name for names in listed.values() for name in names if name.endswith(".png")) == figures

    # The accuracy figure, as a click on it shows it: the image beside its caption.
    path = "results/smoke/figures/accuracy.png"
    view = tmp_path / "figure.html"
    script = (
        '<script>window.addEventListener("load", () => setTimeout(() => app.setView({navbarMode: "resultinfo", '
        f'category: "smoke", subcategory: "figures", resultPath: "{path}", content: "img", '
        f'contentPath: results["{path}"].data_uri}}), 100));</script></body>'
    )
    view.write_text(html[: html.rindex("</body>")] + script + html[html.rindex("</body>") + 7 :])
    screenshot = tmp_path / "report.png"
    text, images = render(view, screenshot)
    assert any(src.startswith("data:image/png;") and "filename=accuracy.png;base64," in src for src in images)
    assert "in experiment smoke (smoke: mlp 300-100 on mnist" in text
    assert "Lines are the means over the 2 trials; error bars span their minimum to maximum." in text
    assert (
        "Early-stop iteration (minimum" not in text and "Test accuracy during training" not in text
    )  # not the others'
    assert "Settings : data dataset mnist, split_seed 0, train_fraction 1.0, validation_size 1000" in text
    assert "rewind_iteration 50; trials 2; seed 0; controls reinit, shuffle, random." in text
    # The figure was drawn: the plot's coloured lines (saturated pixels) in the content area.
    pixels = matplotlib.image.imread(screenshot)[:, 700:, :3]
    assert pixels.shape[0] == 900
    assert ((pixels.max(axis=2) - pixels.min(axis=2)) > 0.4).sum() > 1000
    if os.environ.get("LTH_REPORT_SCREENSHOT"):
        shutil.copyfile(screenshot, os.environ["LTH_REPORT_SCREENSHOT"])
