# Iterative magnitude pruning: init θ₀ → train round 0 → prune → rewind → train round 1 → …
# and, beside every round r ≥ 1, one start state and one training job per control.


rule init:
    output:
        state="results/{exp}/trial{trial}/init.safetensors",
        sidecar="results/{exp}/trial{trial}/init.json",
    log:
        "results/{exp}/logs/trial{trial}/init.log",
    conda:
        "../../envs/lth.yaml"
    params:
        model=lambda w: as_json(exp_of(w).model.to_dict()),
        dataset=lambda w: exp_of(w).data.dataset,
        seed=lambda w: exp_of(w).init_seed(int(w.trial)),
        context=lambda w: context(w, model=exp_of(w).model.to_dict()),
        code=code_version("init"),
    shell:
        "lth init --model {params.model:q} --dataset {params.dataset} --seed {params.seed}"
        " --out {output.state} --provenance {params.context:q} > {log} 2>&1"


# Round 0 trains the dense network from θ₀ and also saves θ_k, the state that later rounds
# rewind to (k = rewind_iteration; k = 0 saves θ₀ itself).
rule train_dense:
    input:
        data=data_file,
        start="results/{exp}/trial{trial}/init.safetensors",
    output:
        state="results/{exp}/trial{trial}/round0/ticket/trained.safetensors",
        sidecar="results/{exp}/trial{trial}/round0/ticket/trained.json",
        metrics="results/{exp}/trial{trial}/round0/ticket/metrics.csv",
        rewind="results/{exp}/trial{trial}/rewind.safetensors",
        rewind_sidecar="results/{exp}/trial{trial}/rewind.json",
    log:
        "results/{exp}/logs/trial{trial}/round0/ticket.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **training_job(),
    params:
        **train_params(round=0, variant="ticket"),
        save_at=lambda w: exp_of(w).rewind_iteration,
    shell:
        train_command("--save-at {params.save_at} --save-out {output.rewind}")


# Rounds r ≥ 1 (ticket and controls) start from iteration k, as in late rewinding.
rule train:
    input:
        data=data_file,
        start="results/{exp}/trial{trial}/round{round}/{variant}/start.safetensors",
    output:
        state="results/{exp}/trial{trial}/round{round}/{variant}/trained.safetensors",
        sidecar="results/{exp}/trial{trial}/round{round}/{variant}/trained.json",
        metrics="results/{exp}/trial{trial}/round{round}/{variant}/metrics.csv",
    log:
        "results/{exp}/logs/trial{trial}/round{round}/{variant}.log",
    wildcard_constraints:
        round=r"[1-9]\d*",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **training_job(),
    params:
        **train_params(start=lambda w: exp_of(w).rewind_iteration, clamp=clamp_flag),
    shell:
        train_command()


# The mask of round r: iterative (prune round r-1's trained ticket by one round), one-shot
# (prune the trained dense network straight to round r's sparsity), or an ablation's own chain.
rule prune:
    input:
        trained=pruned_network,
    output:
        mask="results/{exp}/trial{trial}/round{round}/mask_{family}.safetensors",
        sidecar="results/{exp}/trial{trial}/round{round}/mask_{family}.json",
    log:
        "results/{exp}/logs/trial{trial}/round{round}/prune-{family}.log",
    wildcard_constraints:
        round=r"[1-9]\d*",
    conda:
        "../../envs/lth.yaml"
    params:
        prune=lambda w: prune_params(exp_of(w)),
        flags=prune_flags,
        context=lambda w: context(w, prune=json.loads(prune_params(exp_of(w)))),
        code=code_version("prune"),
    shell:
        "lth prune --trained {input.trained} --prune {params.prune:q} {params.flags}"
        " --out {output.mask} --provenance {params.context:q} > {log} 2>&1"


rule rewind:
    input:
        mask=rewound_mask,
        weights=rewind_state,
    output:
        state="results/{exp}/trial{trial}/round{round}/{rewound}/start.safetensors",
        sidecar="results/{exp}/trial{trial}/round{round}/{rewound}/start.json",
    log:
        "results/{exp}/logs/trial{trial}/round{round}/{rewound}-start.log",
    conda:
        "../../envs/lth.yaml"
    params:
        context=lambda w: context(w, rewind_iteration=exp_of(w).rewind_iteration),
        code=code_version("rewind"),
    shell:
        "lth rewind --mask {input.mask} --weights {input.weights} --out {output.state}"
        " --provenance {params.context:q} > {log} 2>&1"


rule control:
    input:
        mask=ticket_mask,
        weights="results/{exp}/trial{trial}/rewind.safetensors",
    output:
        state="results/{exp}/trial{trial}/round{round}/{control}/start.safetensors",
        sidecar="results/{exp}/trial{trial}/round{round}/{control}/start.json",
    log:
        "results/{exp}/logs/trial{trial}/round{round}/{control}-start.log",
    conda:
        "../../envs/lth.yaml"
    params:
        seed=lambda w: exp_of(w).control_seed(int(w.trial), int(w["round"]), w.control),
        flags=control_flags,
        context=lambda w: context(w, rewind_iteration=exp_of(w).rewind_iteration),
        code=code_version("control"),
    shell:
        "lth control --kind {wildcards.control} --mask {input.mask} --weights {input.weights}"
        " --seed {params.seed} {params.flags} --out {output.state} --provenance {params.context:q}"
        " > {log} 2>&1"
