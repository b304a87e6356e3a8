# Iterative magnitude pruning: init θ₀ → train round 0 → prune → rewind → train round 1 → …
# and, beside every round r ≥ 1, one start state and one training job per control.

TRAIN_CMD = (
    "lth train --data {input.data} --start {input.start} --train {params.train:q}"
    " --validation-size {params.validation_size} --split-seed {params.split_seed}"
    " --order-seed {params.order_seed} --device {config[device]} --threads {threads}"
    " --out {output.state} --metrics {output.metrics} --provenance {params.context:q}"
)


rule init:
    output:
        state=TRIAL + "/init.safetensors",
        sidecar=TRIAL + "/init.json",
    params:
        model=lambda w: as_json(exp_of(w).model.to_dict()),
        dataset=lambda w: exp_of(w).data.dataset,
        seed=lambda w: exp_of(w).init_seed(int(w.trial)),
        context=lambda w: context(w, model=exp_of(w).model.to_dict()),
        code=code_version("init"),
    log:
        LOGS + "/trial{trial}/init.log",
    conda:
        ENV
    shell:
        "lth init --model {params.model:q} --dataset {params.dataset} --seed {params.seed}"
        " --out {output.state} --provenance {params.context:q} > {log} 2>&1"


def train_params(**where):
    """Params shared by both training rules: only the config slice a training job depends on."""
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


# Round 0 trains the dense network from θ₀ and also saves θ_k, the state that later rounds
# rewind to (k = rewind_iteration; k = 0 saves θ₀ itself).
rule train_dense:
    input:
        data=data_file,
        start=TRIAL + "/init.safetensors",
    output:
        state=TRIAL + "/round0/ticket/trained.safetensors",
        sidecar=TRIAL + "/round0/ticket/trained.json",
        metrics=TRIAL + "/round0/ticket/metrics.csv",
        rewind=TRIAL + "/rewind.safetensors",
        rewind_sidecar=TRIAL + "/rewind.json",
    params:
        **train_params(round=0, variant="ticket"),
    threads: config["threads"]
    resources:
        gpu=GPU,
    log:
        LOGS + "/trial{trial}/round0/ticket.log",
    conda:
        ENV
    shell:
        TRAIN_CMD
        + " --save-at {params.rewind_iteration} --save-out {output.rewind} > {log} 2>&1"


# Rounds r ≥ 1 (ticket and controls) start from iteration k, as in late rewinding.
rule train:
    input:
        data=data_file,
        start=RUN + "/start.safetensors",
    output:
        state=RUN + "/trained.safetensors",
        sidecar=RUN + "/trained.json",
        metrics=RUN + "/metrics.csv",
    wildcard_constraints:
        round=r"[1-9]\d*",
    params:
        **train_params(),
    threads: config["threads"]
    resources:
        gpu=GPU,
    log:
        LOGS + "/trial{trial}/round{round}/{variant}.log",
    conda:
        ENV
    shell:
        TRAIN_CMD + " --start-iteration {params.rewind_iteration} > {log} 2>&1"


rule prune:
    input:
        trained=lambda w: f"{RESULTS}/{w.exp}/trial{w.trial}/round{int(w['round']) - 1}/ticket/trained.safetensors",
    output:
        mask=TRIAL + "/round{round}/mask.safetensors",
        sidecar=TRIAL + "/round{round}/mask.json",
    wildcard_constraints:
        round=r"[1-9]\d*",
    params:
        prune=lambda w: prune_params(exp_of(w)),
        context=lambda w: context(w, prune=json.loads(prune_params(exp_of(w)))),
        code=code_version("prune"),
    log:
        LOGS + "/trial{trial}/round{round}/prune.log",
    conda:
        ENV
    shell:
        "lth prune --trained {input.trained} --prune {params.prune:q} --out {output.mask}"
        " --provenance {params.context:q} > {log} 2>&1"


rule rewind:
    input:
        mask=TRIAL + "/round{round}/mask.safetensors",
        weights=TRIAL + "/rewind.safetensors",
    output:
        state=TRIAL + "/round{round}/ticket/start.safetensors",
        sidecar=TRIAL + "/round{round}/ticket/start.json",
    params:
        context=lambda w: context(w, rewind_iteration=exp_of(w).rewind_iteration),
        code=code_version("start"),
    log:
        LOGS + "/trial{trial}/round{round}/rewind.log",
    conda:
        ENV
    shell:
        "lth rewind --mask {input.mask} --weights {input.weights} --out {output.state}"
        " --provenance {params.context:q} > {log} 2>&1"


rule control:
    input:
        mask=TRIAL + "/round{round}/mask.safetensors",
        weights=TRIAL + "/rewind.safetensors",
    output:
        state=TRIAL + "/round{round}/{control}/start.safetensors",
        sidecar=TRIAL + "/round{round}/{control}/start.json",
    params:
        seed=lambda w: exp_of(w).control_seed(int(w.trial), int(w["round"]), w.control),
        context=lambda w: context(w, rewind_iteration=exp_of(w).rewind_iteration),
        code=code_version("start"),
    log:
        LOGS + "/trial{trial}/round{round}/{control}-start.log",
    conda:
        ENV
    shell:
        "lth control --kind {wildcards.control} --mask {input.mask} --weights {input.weights}"
        " --seed {params.seed} --out {output.state} --provenance {params.context:q} > {log} 2>&1"
