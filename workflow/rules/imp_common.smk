# Helpers of the IMP rules (imp.smk) and of the rules that reuse its masks and starts: which
# networks an experiment trains, which network each mask prunes, and the flags of each job.


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
