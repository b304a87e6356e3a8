# Config validation, experiments, paths, seeds and code versions shared by all rules.

import hashlib
import json
import os
import shlex
from pathlib import Path

from snakemake.exceptions import WorkflowError

# snakemake_io.report: a line that opens with `report(` would be read as the report directive
from snakemake import io as snakemake_io
from snakemake.utils import validate

from lth import resources, sweeps
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
    variant="ticket|oneshot|reinit|shuffle|random|finetune|inverse|clamped",
    control="reinit|shuffle|random",
    rewound="ticket|oneshot|inverse|clamped",
    family="iterative|oneshot|finetune|inverse|clamped",
    k=r"\d+",
    member="a|b",


# The science modules each rule depends on. Their content hash is a param, so editing a module
# re-runs exactly the rules that use it (Snakemake does not track imported modules itself).
CODE = {
    "data": ["data.py", "seeds.py"],
    "init": ["models", "specs.py", "masks.py"],
    "train": [
        "training.py",
        "augment.py",
        "data.py",
        "models",
        "masks.py",
        "specs.py",
        "seeds.py",
    ],
    "prune": ["masks.py", "specs.py", "models"],
    "start": ["masks.py", "models"],
    "summary": ["summary.py"],
    "figures": ["figures.py", "summary.py"],
    "instability": [
        "instability.py",
        "training.py",
        "augment.py",
        "data.py",
        "masks.py",
        "models",
    ],
    "structure": ["stability.py", "masks.py"],
    "anatomy": ["anatomy.py", "masks.py", "models"],
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
    for key in ("trial", "round", "k"):
        if key in wildcards.keys():
            where[key] = int(wildcards[key])
    if "member" in wildcards.keys():
        where["copy"] = wildcards.member
    for key in ("variant", "control"):
        if key in wildcards.keys():
            where["variant"] = wildcards[key]
    return as_json({**where, **extra})


def prune_params(exp):
    """The pruning spec without `rounds` and `mode`: raising `rounds` must not re-run existing
    prunes, and the mode only decides which network is pruned (an input) and how far. With
    `target_remaining` the rounds set every round's count, so they stay."""
    drop = ("mode",) if exp.prune.target_remaining is not None else ("rounds", "mode")
    return as_json({k: v for k, v in exp.prune.to_dict().items() if k not in drop})


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


def pruned_network(wildcards):
    """What the prune job of a round prunes: the trained network of the round before in the
    mask's own chain (the ticket for iterative; the ablation's own network for finetune, inverse
    and clamped, whose round 0 is the dense ticket except for clamped, which trains its own), or
    the trained dense network of round 0 (one-shot)."""
    family = wildcards.family
    trial = f"results/{wildcards.exp}/trial{wildcards.trial}"
    if family == "oneshot":
        return f"{trial}/round0/ticket/trained.safetensors"
    previous = int(wildcards["round"]) - 1
    own = family != "iterative" and (previous > 0 or family == "clamped")
    return f"{trial}/round{previous}/{family if own else 'ticket'}/trained.safetensors"


def prune_flags(wildcards):
    """`lth prune` flags of a mask family: the round (a target_remaining schedule needs it), the
    one-shot depth, inverse pruning, and a random tie order for clamped weights (many equal).
    A rule without a family wildcard (rewind_k_prune) prunes iteratively.
    """
    round_ = int(wildcards["round"])
    family = wildcards.get("family", "iterative")
    flags = [f"--round {round_}"]
    if family == "oneshot":
        flags.append(f"--oneshot-rounds {round_}")
    if family == "inverse":
        flags.append("--inverse")
    if family == "clamped":
        seed = exp_of(wildcards).tie_seed(int(wildcards.trial), round_, "clamped")
        flags.append(f"--tie-seed {seed}")
    return " ".join(flags)


def ticket_mask(wildcards):
    """The mask of a round's ticket (iterative or one-shot as `prune.mode` says)."""
    family = exp_of(wildcards).ticket_mask
    return f"results/{wildcards.exp}/trial{wildcards.trial}/round{wildcards['round']}/mask_{family}.safetensors"


def rewound_mask(wildcards):
    """The mask a rewound start uses: the ticket's, or the variant's own (one-shot, inverse, clamped)."""
    if wildcards.rewound != "ticket":
        return f"results/{wildcards.exp}/trial{wildcards.trial}/round{wildcards['round']}/mask_{wildcards.rewound}.safetensors"
    return ticket_mask(wildcards)


def rewind_state(wildcards):
    """θ_k a rewound start takes its weights from: the clamped ablation's own dense run, or the ticket's."""
    name = "rewind_clamped" if wildcards.rewound == "clamped" else "rewind"
    return f"results/{wildcards.exp}/trial{wildcards.trial}/{name}.safetensors"


def clamp_flag(wildcards):
    """`lth train --clamp` for the clamped ablation's networks, nothing for the others (a rule
    without a variant wildcard, the clamped dense run, is clamped by construction)."""
    clamped = wildcards.get("variant", "clamped") == "clamped"
    return f"--clamp {exp_of(wildcards).clamp}" if clamped else ""


def control_flags(wildcards):
    """`lth control --shuffle-output` for the shuffle control when the experiment asks for it,
    nothing otherwise: the key is a param of the shuffle jobs only, so changing it re-runs them
    (and what follows) and no other job."""
    shuffled = wildcards.control == "shuffle" and exp_of(wildcards).shuffle_output
    return "--shuffle-output" if shuffled else ""


def train_params(order_seed=None, train=None, **where):
    """Params of the training rules: only the config slice a training job depends on.

    ``order_seed`` and ``train`` (functions of the wildcards) override the trial's data order and
    the experiment's training spec (the instability copies and the spawn runs use them).
    """
    return dict(
        train=train or (lambda w: as_json(exp_of(w).train.to_dict())),
        validation_size=lambda w: exp_of(w).data.validation_size,
        split_seed=lambda w: exp_of(w).data.split_seed,
        train_fraction=lambda w: exp_of(w).data.train_fraction,
        order_seed=order_seed or (lambda w: exp_of(w).order_seed(int(w.trial))),
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
            "--train-fraction {params.train_fraction}",
            "--order-seed {params.order_seed} --threads {threads}",
            "--out {output.state} --metrics {output.metrics} --provenance {params.context:q}",
            *extra,
            "> {log} 2>&1",
        ]
    )


def figure_title(exp):
    model = exp.model.name
    if exp.model.hidden is not None:
        model += " " + "-".join(str(h) for h in exp.model.hidden)
    data = (
        ""
        if exp.data.train_fraction == 1
        else f" ({exp.data.train_fraction:g} of train)"
    )
    return (
        f"{exp.name}: {model} on {exp.data.dataset}{data}, "
        f"{exp.train.optimizer} lr {exp.train.lr:g}, {exp.train.iterations} it, "
        f"{exp.prune.strategy} {exp.prune.rate:.3g}/round, {exp.trials} trial(s)"
    )


def report_settings(exp, omit=()):
    """The experiment's settings for report captions ({{ snakemake.params.settings }}), one phrase
    per section. `omit` drops what a rule's outputs do not depend on ("controls", "instability",
    "ablations", "prune.rounds"), so stating the settings never re-runs a job that an edit did not
    touch.
    """
    sections = {
        "data": exp.data.to_dict(),
        "model": exp.model.to_dict(),
        "train": exp.train.to_dict(),
        "prune": exp.prune.to_dict(),
        "rewind_iteration": exp.rewind_iteration,
        "trials": exp.trials,
        "seed": exp.seed,
        "controls": ", ".join(
            "shuffle (output layer too)" if c == "shuffle" and exp.shuffle_output else c
            for c in exp.controls
        )
        or "none",
        "instability": exp.instability.to_dict() if exp.instability else "none",
    }
    if exp.ablations:
        sections["ablations"] = ", ".join(
            f"clamped (clamp {exp.clamp:g})" if a == "clamped" else a
            for a in exp.ablations
        )
    for path in omit:
        section, _, key = path.partition(".")
        if not key:
            sections.pop(section, None)
        elif isinstance(
            sections.get(section), dict
        ):  # not when omitted whole or "none"
            sections[section].pop(key, None)
    return {
        name: (
            ", ".join(f"{k} {v}" for k, v in sorted(value.items()) if v is not None)
            if isinstance(value, dict)
            else str(value)
        )
        for name, value in sections.items()
    }


def instability_files(wildcards, filename):
    exp = exp_of(wildcards)
    return [
        f"results/{exp.name}/trial{t}/instability/round{r}/k{k}/{filename}"
        for t in range(exp.trials)
        for r in exp.instability.rounds
        for k in exp.instability.rewind_iterations
    ]


def ticket_states(wildcards):
    exp = exp_of(wildcards)
    return [
        f"results/{exp.name}/trial{t}/round{r}/ticket/trained.safetensors"
        for t in range(exp.trials)
        for r in range(exp.prune.rounds + 1)
    ]


def spawn_train_spec(wildcards):
    """The experiment's training spec stopped at iteration k (evaluated only at 0 and k)."""
    spec = exp_of(wildcards).train.to_dict()
    k = int(wildcards.k)
    return as_json({**spec, "iterations": k, "eval_every": k})


def spawn_spec(wildcards):
    """`spawn_train_spec` as a TrainSpec (its time limit)."""
    return TrainSpec.from_dict(spawn_train_spec(wildcards))


def path_minutes(wildcards, attempt):
    """Time limit of an instability path: its points' forward passes (lth.resources)."""
    exp = exp_of(wildcards)
    return resources.evaluation_minutes(
        exp.model.name,
        config["device"],
        resources.path_examples(exp.instability.points),
        exp.train.batch_size,
        attempt,
    )


def instability_order_seed(wildcards):
    return exp_of(wildcards).instability_seed(
        int(wildcards.trial),
        int(wildcards["round"]),
        int(wildcards.k),
        wildcards.member,
    )


def spawn_state(wildcards):
    """θ_k of a trial's dense run: θ₀ for k = 0, the rewind state when k is the experiment's
    rewind_iteration, else a run of k iterations from θ₀ (rule spawn)."""
    trial = f"results/{wildcards.exp}/trial{wildcards.trial}"
    k = int(wildcards.k)
    if k == 0:
        return f"{trial}/init.safetensors"
    if k == exp_of(wildcards).rewind_iteration:
        return f"{trial}/rewind.safetensors"
    return f"{trial}/spawn/k{k}.safetensors"


def imp_round(exp, trial, k, round_):
    """Folder of round r of the trial's IMP run that rewinds to iteration k (Frankle et al. 2020,
    section 5): the experiment's own run when k is its rewind_iteration, else
    trial<t>/rewind_k<k>/ (rules rewind_k_*). Round 0, the dense network trained from θ₀, is
    the same for every k, so every run shares the experiment's."""
    shared = round_ == 0 or k == exp.rewind_iteration
    run = f"trial{trial}" if shared else f"trial{trial}/rewind_k{k}"
    return f"results/{exp.name}/{run}/round{round_}"


def imp_mask(exp, trial, k, round_):
    """The ticket mask of round r ≥ 1 of the IMP run rewinding to k. A mask that cannot depend on
    k is the experiment's own file, so no job is repeated: round 1 prunes the dense network all
    runs share, and one-shot masks all prune that network."""
    shared = round_ == 1 or exp.ticket_mask == "oneshot"
    folder = imp_round(exp, trial, exp.rewind_iteration if shared else k, round_)
    return f"{folder}/mask_{exp.ticket_mask}.safetensors"


def instability_start_inputs(wildcards):
    """θ_k, and for a sparse round the mask IMP finds when it rewinds to that k."""
    inputs = {"weights": spawn_state(wildcards)}
    round_ = int(wildcards["round"])
    if round_ > 0:
        inputs["mask"] = imp_mask(
            exp_of(wildcards), wildcards.trial, int(wildcards.k), round_
        )
    return inputs


def imp_rewinding_runs(exp):
    """(trial, k, round) of every trained network the accuracy-vs-k table reads: for each k of
    the instability block, the IMP run rewinding to k at round 0 (the dense network) and at
    each sparse round the block asks for."""
    rounds = sorted({0, *exp.instability.rounds})
    return [
        (t, k, r)
        for t in range(exp.trials)
        for k in exp.instability.rewind_iterations
        for r in rounds
    ]


def imp_rewinding_sidecars(wildcards):
    exp = exp_of(wildcards)
    return [
        f"{imp_round(exp, t, k, r)}/ticket/trained.json"
        for t, k, r in imp_rewinding_runs(exp)
    ]


def analysis_targets(name):
    """Instability and structure outputs of an experiment, where it asks for them."""
    exp = EXPERIMENTS[name]
    targets = []
    if exp.instability:
        targets += [
            f"results/{name}/instability.csv",
            f"results/{name}/imp_rewinding.csv",
        ]
        targets += expand(
            f"results/{name}/figures/{{fig}}.{{ext}}",
            fig=INSTABILITY_FIGURES,
            ext=["png", "pdf"],
        )
    if exp.prune.rounds >= 1:
        targets += [f"results/{name}/structure.csv"]
        targets += expand(
            f"results/{name}/figures/structure.{{ext}}", ext=["png", "pdf"]
        )
        targets += [f"results/{name}/anatomy.csv"]
        targets += expand(
            f"results/{name}/figures/{{fig}}.{{ext}}",
            fig=ANATOMY_FIGURES,
            ext=["png", "pdf"],
        )
    return targets


def all_targets():
    targets = []
    for name in config["run"]:
        if name in SWEEPS:
            targets += [f"results/{name}/sweep.csv"]
            targets += expand(
                f"results/{name}/figures/{{fig}}.{{ext}}",
                fig=SWEEP_FIGURES,
                ext=["png", "pdf"],
            )
        if name in STUDIES:
            targets += study_targets(name)  # workflow/rules/studies_common.smk
    for name in RUN:
        targets += analysis_targets(name)
        targets += [f"results/{name}/summary.csv", f"results/{name}/curves.csv"]
        targets += expand(
            f"results/{name}/figures/{{fig}}.{{ext}}",
            fig=FIGURES,
            ext=["png", "pdf"],
        )
    return targets


def figure_reports(folder, figures, category, subcategory):
    """The PNGs of ``figures`` in ``folder`` marked for the report, each with its own caption
    (workflow/report/figures/<figure>.rst): a caption describes its figure, not its group.
    """
    return [
        snakemake_io.report(
            f"{folder}/{fig}.png",
            caption=f"../report/figures/{fig}.rst",
            category=category,
            subcategory=subcategory,
        )
        for fig in figures
    ]


FIGURES = ["accuracy", "early_stop", "curves"]
INSTABILITY_FIGURES = ["instability_paths", "instability_vs_k", "imp_rewinding_vs_k"]
ANATOMY_FIGURES = ["anatomy_init", "anatomy_units", "anatomy_dead"]
SWEEP_FIGURES = ["sweep_accuracy", "sweep_early_stop", "sweep_vs_value"]
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


def finetune_weights(wildcards):
    """The trained weights a fine-tuned round continues from: the previous round's fine-tuned
    network, or the dense ticket for round 1."""
    previous = int(wildcards["round"]) - 1
    variant = "finetune" if previous > 0 else "ticket"
    return f"results/{wildcards.exp}/trial{wildcards.trial}/round{previous}/{variant}/trained.safetensors"


def anatomy_states(wildcards):
    """Per trial: θ_k with the full mask (round 0) and every round's ticket start (mask ⊙ θ_k)."""
    exp = exp_of(wildcards)
    states = []
    for t in range(exp.trials):
        states.append(f"results/{exp.name}/trial{t}/rewind.safetensors")
        states += [
            f"results/{exp.name}/trial{t}/round{r}/ticket/start.safetensors"
            for r in range(1, exp.prune.rounds + 1)
        ]
    return states


def sweep_title(sweep):
    first = EXPERIMENTS[sweep.members[0]]
    values = ", ".join(sweep.labels().values())
    return (
        f"{sweep.name}: {sweep.key} = {values}; {first.model.name} on "
        f"{first.data.dataset}, {first.trials} trial(s)"
    )


def sweep_settings(sweep):
    """Report settings of a sweep: the swept key and its values, then the members' common
    settings (those of the first member without the swept key)."""
    first = EXPERIMENTS[sweep.members[0]]
    section, _, key = sweep.key.partition(".")
    if (
        not key and section in first.data.to_dict()
    ):  # the data keys sit at the top level
        section, key = "data", section
    omit = ["instability", f"{section}.{key}" if key else section]
    values = ", ".join(sweep.labels().values())
    return {"sweep": f"{sweep.key} = {values}", **report_settings(first, omit=omit)}
