# Studies (config `studies:`, lth/studies/): which studies exist, their config slices and paths.
# The rules are in studies.smk.

from lth.studies import XOR_MODES
from lth.specs import UNIT_HEURISTICS

TICKET_STUDIES = [n for n, s in STUDIES.items() if s.kind == "ticket"]
XOR_STUDIES = [n for n, s in STUDIES.items() if s.kind == "xor"]
# Keys of the XOR spec that training networks depends on (pruning: see xor_pruning_slice).
XOR_TRAINING_KEYS = (
    "inits",
    "iterations",
    "optimizer",
    "lr",
    "momentum",
    "weight_decay",
    "init",
    "init_std",
    "bias_init",
    "bias_scale",
    "zero_loss",
    "seed",
)


wildcard_constraints:
    tstudy="|".join(TICKET_STUDIES) or "NONE",
    xstudy="|".join(XOR_STUDIES) or "NONE",
    width=r"\d+",
    heuristic="|".join(UNIT_HEURISTICS),
    mode="|".join(XOR_MODES),


def study_slice(name, keys=None, **override):
    """A study's canonical config slice (only ``keys`` when given), with ``override`` on top."""
    spec = STUDIES[name].to_dict()
    return as_json(
        {**{k: v for k, v in spec.items() if keys is None or k in keys}, **override}
    )


def xor_pruning_slice(wildcards):
    """What one xor_prune job depends on: the training keys, the unit counts and, for the iterative
    mode only, the units removed per round. Its own mode is named, so the slice is valid alone.
    """
    keys = XOR_TRAINING_KEYS + ("prune_from", "prune_to")
    if wildcards.mode == "iterative":
        keys += ("per_round",)
    return study_slice(wildcards.xstudy, keys, modes=[wildcards.mode])


def studied(wildcards):
    """The IMP experiment a ticket study analyses."""
    return EXPERIMENTS[STUDIES[wildcards.tstudy].experiment]


def dense_states(wildcards):
    """The studied experiment's trained dense networks (round 0), in trial order."""
    exp = studied(wildcards)
    return [
        f"results/{exp.name}/trial{t}/round0/ticket/trained.safetensors"
        for t in range(exp.trials)
    ]


def study_trial_files(wildcards, filename):
    """A ticket study's per-trial files, in trial order."""
    exp = studied(wildcards)
    return [
        f"results/{wildcards.tstudy}/trial{t}/{filename}" for t in range(exp.trials)
    ]


def study_title(name):
    study = STUDIES[name]
    if study.kind == "xor":
        return (
            f"{name}: 2-h-1 on XOR, {study.inits} inits, {study.iterations} it "
            f"{study.optimizer} lr {study.lr:g}, init {study.init_text()}"
        )
    return f"{name} of {figure_title(EXPERIMENTS[study.experiment])}"


def new_init_train_spec(wildcards):
    """The studied experiment's training spec with new_init_budget times the iterations."""
    spec = studied(wildcards).train.to_dict()
    factor = STUDIES[wildcards.tstudy].new_init_budget
    return as_json({**spec, "iterations": spec["iterations"] * factor})


def new_init_spec(wildcards):
    """`new_init_train_spec` as a TrainSpec (its time limit)."""
    return TrainSpec.from_dict(new_init_train_spec(wildcards))


def weight_study_minutes(wildcards, attempt):
    """Time limit of the weight study: each trial's test set at every percentile (lth.resources)."""
    exp = studied(wildcards)
    percentiles = len(STUDIES[wildcards.tstudy].percentiles)
    return resources.evaluation_minutes(
        exp.model.name,
        config["device"],
        exp.trials * percentiles * resources.TEST_EXAMPLES,
        exp.train.batch_size,
        attempt,
    )


def study_targets(name):
    """Final outputs of a study (what `run: [name]` and `snakemake studies` build)."""
    if STUDIES[name].kind == "xor":
        tables = [
            f"results/{name}/table{i}.{ext}" for i in (1, 2) for ext in ("csv", "html")
        ]
        return tables + [
            f"results/{name}/figures/xor_success.{e}" for e in ("png", "pdf")
        ]
    tables = ["summary", "weight_stats", "no_retraining"]
    return [
        f"results/{name}/{t}.{ext}" for t in tables for ext in ("csv", "html")
    ] + figure_files(f"results/{name}/figures", TICKET_FIGURES)
