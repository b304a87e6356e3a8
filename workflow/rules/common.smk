# Config validation, experiments, paths, seeds and code versions shared by all rules.

import hashlib
import json
import os
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from lth.errors import LthError
from lth.experiment import Experiment

# The lth specs check first: their messages name the key and list the allowed keys or values.
# The schema then validates the rest and fills in the top-level defaults.
try:
    EXPERIMENTS = {
        name: Experiment.from_config(name, cfg)
        for name, cfg in config.get("experiments", {}).items()
    }
except LthError as exc:
    raise WorkflowError(f"config error: {exc}")

validate(config, "../schemas/config.schema.yaml")

for _name in config["run"]:
    if _name not in EXPERIMENTS:
        raise WorkflowError(
            f"config error: run: unknown experiment '{_name}' "
            f"(defined: {', '.join(sorted(EXPERIMENTS))})"
        )

# Where the data is and which device to train on are read by the lth CLI from the environment
# (jobs inherit it, also on a cluster, where each job re-reads this file). They are not params:
# moving the data folder or switching CPU for GPU must not re-run finished jobs.
os.environ.update(LTH_DATA_ROOT=config["data_root"], LTH_DEVICE=config["device"])


wildcard_constraints:
    exp="|".join(sorted(EXPERIMENTS)) or "NONE",
    trial=r"\d+",
    round=r"\d+",
    variant="ticket|reinit|shuffle|random",
    control="reinit|shuffle|random",


# The science modules each rule depends on. Their content hash is a param, so editing a module
# re-runs exactly the rules that use it (Snakemake does not track imported modules itself).
CODE = {
    "data": ["data.py", "seeds.py"],
    "init": ["models", "specs.py", "masks.py"],
    "train": ["training.py", "data.py", "models", "masks.py", "specs.py", "seeds.py"],
    "prune": ["masks.py", "specs.py", "models"],
    "start": ["masks.py", "models"],
    "summary": ["summary.py"],
    "figures": ["figures.py", "summary.py"],
}


def code_version(rule_name):
    root = Path(workflow.basedir) / "lth"
    digest = hashlib.sha256()
    for entry in CODE[rule_name]:
        path = root / entry
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def as_json(value):
    """Canonical JSON (sorted keys): reordering YAML never changes a param."""
    return json.dumps(value, sort_keys=True)


def exp_of(wildcards):
    return EXPERIMENTS[wildcards.exp]


def data_file(wildcards):
    return f"results/data/{exp_of(wildcards).data.dataset}.safetensors"


def context(wildcards, **extra):
    """Provenance recorded in a job's outputs: where it sits in the DAG and the config it used."""
    where = {"experiment": wildcards.exp}
    for key in ("trial", "round"):
        if key in wildcards.keys():
            where[key] = int(wildcards[key])
    for key in ("variant", "control"):
        if key in wildcards.keys():
            where["variant"] = wildcards[key]
    return as_json({**where, **extra})


def prune_params(exp):
    """The pruning spec without `rounds`: raising `rounds` must not re-run existing prunes."""
    return as_json({k: v for k, v in exp.prune.to_dict().items() if k != "rounds"})


def training_runs(name):
    """(trial, round, variant) of every network an experiment trains."""
    exp = EXPERIMENTS[name]
    return [
        (trial, round_, variant)
        for trial in range(exp.trials)
        for round_ in range(exp.prune.rounds + 1)
        for variant in exp.variants(round_)
    ]


def run_files(wildcards, filename):
    return [
        f"results/{wildcards.exp}/trial{t}/round{r}/{v}/{filename}"
        for t, r, v in training_runs(wildcards.exp)
    ]


def previous_ticket(wildcards):
    """The trained ticket of the round before: what the prune job of this round prunes."""
    previous = int(wildcards["round"]) - 1
    return f"results/{wildcards.exp}/trial{wildcards.trial}/round{previous}/ticket/trained.safetensors"


def train_params(**where):
    """Params of both training rules: only the config slice a training job depends on."""
    return dict(
        train=lambda w: as_json(exp_of(w).train.to_dict()),
        validation_size=lambda w: exp_of(w).data.validation_size,
        split_seed=lambda w: exp_of(w).data.split_seed,
        order_seed=lambda w: exp_of(w).order_seed(int(w.trial)),
        rewind_iteration=lambda w: exp_of(w).rewind_iteration,
        context=lambda w: context(
            w, **where, train=exp_of(w).train.to_dict(), data=exp_of(w).data.to_dict()
        ),
        code=code_version("train"),
    )


def train_command(*extra):
    """The `lth train` call of both training rules, with rule-specific flags."""
    return " ".join(
        [
            "lth train --data {input.data} --start {input.start} --train {params.train:q}",
            "--validation-size {params.validation_size} --split-seed {params.split_seed}",
            "--order-seed {params.order_seed} --threads {threads}",
            "--out {output.state} --metrics {output.metrics} --provenance {params.context:q}",
            *extra,
            "> {log} 2>&1",
        ]
    )


def figure_title(exp):
    hidden = "-".join(str(h) for h in exp.model.hidden)
    return (
        f"{exp.name}: {exp.model.name} {hidden} on {exp.data.dataset}, "
        f"{exp.train.optimizer} lr {exp.train.lr:g}, {exp.train.iterations} it, "
        f"{exp.prune.strategy} {exp.prune.rate:g}/round, {exp.trials} trial(s)"
    )


def all_targets():
    targets = []
    for name in config["run"]:
        targets += [f"results/{name}/summary.csv", f"results/{name}/curves.csv"]
        targets += expand(
            f"results/{name}/figures/{{fig}}.{{ext}}",
            fig=FIGURES,
            ext=["png", "pdf"],
        )
    return targets


FIGURES = ["accuracy", "early_stop", "curves"]
GPU = 0 if config["device"] == "cpu" else 1
