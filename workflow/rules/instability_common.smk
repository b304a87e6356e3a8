# Helpers of the instability rules (instability.smk): θ_k and its training spec, the IMP run that
# rewinds to each k (its rounds and masks), the copies' data orders and time limits, and targets.


def instability_files(wildcards, filename):
    exp = exp_of(wildcards)
    return [
        f"results/{exp.name}/trial{t}/instability/round{r}/k{k}/{filename}"
        for t in range(exp.trials)
        for r in exp.instability.rounds
        for k in exp.instability.rewind_iterations
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


def instability_targets(name):
    """The instability tables and figures of an experiment with an `instability` block."""
    if not EXPERIMENTS[name].instability:
        return []
    return [
        f"results/{name}/instability.csv",
        f"results/{name}/imp_rewinding.csv",
    ] + figure_files(f"results/{name}/figures", INSTABILITY_FIGURES)


EXPERIMENT_TARGETS.append(instability_targets)
