# Shared by all rules: config validation, experiments, wildcards, code versions, provenance, the
# training command and its resources, and the targets (the sum of each stage's target functions).

import json
import os
import shlex
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from lth import codeversion, resources, sweeps, variants
from lth.configfile import check_files as check_config_files
from lth.errors import LthError
from lth.specs import TrainSpec
from lth.studies import study_from_config

# The lth specs check first: their messages name the key and list the allowed keys or values.
# The schema then validates the rest and fills in the top-level defaults. A `sweep:` stands for
# several experiments (lth.sweeps): EXPERIMENTS holds its members, SWEEPS the sweep itself, and
# RUN the experiments `run:` builds (a sweep's name builds all its members). Before all that,
# the config files are re-read strictly: YAML silently keeps the last of two equal keys.
try:
    check_config_files(workflow.configfiles)
    EXPERIMENTS, SWEEPS = sweeps.build(config.get("experiments", {}))
    STUDIES = {
        name: study_from_config(name, cfg, EXPERIMENTS, SWEEPS)
        for name, cfg in config.get("studies", {}).items()
    }
    RUN = sweeps.resolve_run(config.get("run", []), EXPERIMENTS, SWEEPS, STUDIES)
except LthError as exc:
    raise WorkflowError(f"config error: {exc}")

validate(config, "../schemas/config.schema.yaml")

# Where the data is and which device to train on are read by the lth CLI from the environment
# (jobs inherit it, also on a cluster, where each job re-reads this file). They are not params:
# moving the data folder or switching CPU for GPU must not re-run finished jobs.
# The GPU float32 precision too: like the device it changes GPU results in their last bits, and
# every output's sidecar records both.
os.environ.update(
    LTH_DATA_ROOT=config["data_root"],
    LTH_DEVICE=config["device"],
    LTH_PRECISION=config["precision"],
)

# The `lth` in every shell command is this checkout's package: the prefix below (Snakemake puts
# it before each command) defines a shell function `lth` that runs `python -m lth` with this
# folder first on PYTHONPATH. `python` is the job's: the conda env's with --use-conda (which
# installs only lth's dependencies and drops any PYTHONPATH from outside), else the active
# environment's. It works the same on a cluster node, where the job re-reads this file, and the
# rules' commands (a re-run trigger) do not contain the checkout's path. "set -euo pipefail" is
# Snakemake's own prefix for bash, which a prefix replaces.
LTH_SOURCE = shlex.quote(workflow.basedir)
shell.prefix(
    "set -euo pipefail; "
    'lth() {{ PYTHONPATH={LTH_SOURCE}${{PYTHONPATH:+:$PYTHONPATH}} python -m lth "$@"; }}; '
)


wildcard_constraints:
    exp="|".join(sorted(EXPERIMENTS)) or "NONE",
    trial=r"\d+",
    round=r"\d+",
    variant="|".join(variants.ORDER),
    control="|".join(variants.CONTROLS),
    rewound="|".join(variants.REWOUND),
    family="|".join(variants.FAMILIES),
    k=r"\d+",
    member="a|b",


def code_version(command):
    """The version of the code `lth <command>` runs: the hash of its module and every lth module
    it imports (lth/codeversion.py). It is a param of the rules that run the command, so editing
    any of that code re-runs exactly them (Snakemake does not track imported modules itself);
    tests/test_codeversion.py checks each rule asks for the command its shell runs."""
    return codeversion.version(command, Path(workflow.basedir) / "lth")


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
    for key in ("trial", "round", "k"):
        if key in wildcards.keys():
            where[key] = int(wildcards[key])
    if "member" in wildcards.keys():
        where["copy"] = wildcards.member
    for key in ("variant", "control"):
        if key in wildcards.keys():
            where["variant"] = wildcards[key]
    return as_json({**where, **extra})


def train_params(
    order_seed=None,
    train=None,
    start=None,
    clamp="",
    experiment=exp_of,
    provenance=None,
    **where,
):
    """Params of the training rules: only the config slice a training job depends on.

    ``order_seed`` and ``train`` (functions of the wildcards) override the trial's data order and
    the experiment's training spec (the instability copies and the spawn runs use them); ``start``
    is the iteration the start state is at (a function of the wildcards; 0 by default) and
    ``clamp`` the `--clamp` flag (see clamp_flag). ``experiment`` maps the wildcards to the
    experiment trained (a study's rules name theirs differently), and ``provenance`` replaces
    the recorded context (the DAG position ``where`` and the config slice).
    """
    return dict(
        train=train or (lambda w: as_json(experiment(w).train.to_dict())),
        validation_size=lambda w: experiment(w).data.validation_size,
        split_seed=lambda w: experiment(w).data.split_seed,
        train_fraction=lambda w: experiment(w).data.train_fraction,
        order_seed=order_seed or (lambda w: experiment(w).order_seed(int(w.trial))),
        start=start or 0,
        clamp=clamp,
        context=provenance
        or (
            lambda w: context(
                w,
                **where,
                train=experiment(w).train.to_dict(),
                data=experiment(w).data.to_dict(),
            )
        ),
        code=code_version("train"),
    )


def train_command(*extra):
    """The `lth train` call of every training rule, with rule-specific flags."""
    return " ".join(
        [
            "lth train --data {input.data} --start {input.start} --train {params.train:q}",
            "--validation-size {params.validation_size} --split-seed {params.split_seed}",
            "--train-fraction {params.train_fraction}",
            "--order-seed {params.order_seed} --threads {threads}",
            "--start-iteration {params.start} {params.clamp}",
            "--out {output.state} --metrics {output.metrics} --provenance {params.context:q}",
            *extra,
            "> {log} 2>&1",
        ]
    )


GPU = resources.gpus(config["device"])


def device_job(model, minutes):
    """Resources of a job that trains or evaluates networks on the config's device (lth.resources):
    a GPU unless the device is cpu, host memory for ``model(wildcards)`` (a model name), and the time
    limit ``minutes(wildcards, attempt)``. CPU cores are the rule's `threads`."""
    return dict(
        gpu=GPU,
        mem_mb=lambda w: resources.mem_mb(model(w), config["device"]),
        runtime=lambda w, attempt: minutes(w, attempt),
    )


def training_job(spec=None, experiment=exp_of):
    """`device_job` of a training rule: the experiment's model, and the time of its training spec
    (or of ``spec(wildcards)``, a TrainSpec)."""

    def minutes(w, attempt):
        exp = experiment(w)
        train = spec(w) if spec else exp.train
        return resources.training_minutes(
            exp.model.name,
            config["device"],
            train.iterations,
            train.batch_size,
            train.eval_every,
            exp.data.validation_size,
            attempt,
        )

    return device_job(lambda w: experiment(w).model.name, minutes)


# Each stage file adds a function of an experiment's name that lists its final outputs of that
# stage (nothing where the experiment does not ask for it); `rule all` builds them for every
# experiment of `run:`, and the sweeps' and studies' own outputs for theirs.
EXPERIMENT_TARGETS = []


def all_targets():
    targets = []
    for name in config["run"]:
        if name in SWEEPS:
            targets += sweep_targets(name)  # workflow/rules/sweeps.smk
        if name in STUDIES:
            targets += study_targets(name)  # workflow/rules/studies_common.smk
    for name in RUN:
        for stage_targets in EXPERIMENT_TARGETS:
            targets += stage_targets(name)
    return targets
