# Linear-mode-connectivity instability (Frankle et al. 2020): for each rewind point k and chosen
# round, two copies start from mask ⊙ θ_k, train from k with different data orders, and the error
# along the line between them is measured. The mask at k is the one IMP finds when it rewinds to
# k (the paper's section 5): the experiment's own when k is its rewind_iteration, else that of an
# IMP run of the ticket alone rewinding to k (rules rewind_k_*), up to the block's largest round.


# θ_k of the trial's dense run for k > 0: the same training from θ₀ with the same data order,
# stopped at k (bit-identical to the dense run's state at k on a CPU).
use rule train as spawn with:
    input:
        data=data_file,
        start="results/{exp}/trial{trial}/init.safetensors",
    output:
        state="results/{exp}/trial{trial}/spawn/k{k}.safetensors",
        sidecar="results/{exp}/trial{trial}/spawn/k{k}.json",
        metrics="results/{exp}/trial{trial}/spawn/k{k}_metrics.csv",
    log:
        "results/{exp}/logs/trial{trial}/spawn-k{k}.log",
    wildcard_constraints:
        k=r"[1-9]\d*",
    resources:
        **training_job(spawn_spec),
    params:
        **train_params(train=spawn_train_spec, round=0, variant="spawn"),


# IMP rewinding to k ≠ rewind_iteration (ticket only): round r's mask prunes the trained ticket of
# round r-1 of the same run (round 1's is the experiment's own, see imp_mask), the survivors are
# rewound to θ_k and trained from iteration k with the trial's data order, as the ticket is.
use rule prune as rewind_k_prune with:
    input:
        trained=lambda w: f"{imp_round(exp_of(w), w.trial, int(w.k), int(w['round']) - 1)}/ticket/trained.safetensors",
    output:
        mask="results/{exp}/trial{trial}/rewind_k{k}/round{round}/mask_iterative.safetensors",
        sidecar="results/{exp}/trial{trial}/rewind_k{k}/round{round}/mask_iterative.json",
    log:
        "results/{exp}/logs/trial{trial}/rewind_k{k}/round{round}/prune.log",
    wildcard_constraints:
        round=r"[2-9]|[1-9]\d+",


use rule rewind as rewind_k_start with:
    input:
        mask=lambda w: imp_mask(exp_of(w), w.trial, int(w.k), int(w["round"])),
        weights=spawn_state,
    output:
        state="results/{exp}/trial{trial}/rewind_k{k}/round{round}/ticket/start.safetensors",
        sidecar="results/{exp}/trial{trial}/rewind_k{k}/round{round}/ticket/start.json",
    log:
        "results/{exp}/logs/trial{trial}/rewind_k{k}/round{round}/start.log",
    wildcard_constraints:
        round=r"[1-9]\d*",
    params:
        context=lambda w: context(w, variant="ticket", rewind_iteration=int(w.k)),
        code=code_version("rewind"),


use rule train as rewind_k_train with:
    input:
        data=data_file,
        start="results/{exp}/trial{trial}/rewind_k{k}/round{round}/ticket/start.safetensors",
    output:
        state="results/{exp}/trial{trial}/rewind_k{k}/round{round}/ticket/trained.safetensors",
        sidecar="results/{exp}/trial{trial}/rewind_k{k}/round{round}/ticket/trained.json",
        metrics="results/{exp}/trial{trial}/rewind_k{k}/round{round}/ticket/metrics.csv",
    log:
        "results/{exp}/logs/trial{trial}/rewind_k{k}/round{round}/train.log",
    params:
        **train_params(start=lambda w: int(w.k), variant="ticket"),


rule instability_start:
    input:
        unpack(instability_start_inputs),
    output:
        state="results/{exp}/trial{trial}/instability/round{round}/k{k}/start.safetensors",
        sidecar="results/{exp}/trial{trial}/instability/round{round}/k{k}/start.json",
    log:
        "results/{exp}/logs/trial{trial}/instability/round{round}-k{k}-start.log",
    conda:
        "../../envs/lth.yaml"
    params:
        mask=lambda w, input: f"--mask {input.mask}" if "mask" in input.keys() else "",
        context=lambda w: context(w),
        code=code_version("rewind"),
    shell:
        "lth rewind --weights {input.weights} {params.mask} --out {output.state}"
        " --provenance {params.context:q} > {log} 2>&1"


use rule train as instability_train with:
    input:
        data=data_file,
        start="results/{exp}/trial{trial}/instability/round{round}/k{k}/start.safetensors",
    output:
        state="results/{exp}/trial{trial}/instability/round{round}/k{k}/copy{member}/trained.safetensors",
        sidecar="results/{exp}/trial{trial}/instability/round{round}/k{k}/copy{member}/trained.json",
        metrics="results/{exp}/trial{trial}/instability/round{round}/k{k}/copy{member}/metrics.csv",
    log:
        "results/{exp}/logs/trial{trial}/instability/round{round}-k{k}-copy{member}.log",
    wildcard_constraints:
        round=r"\d+",
    params:
        **train_params(order_seed=instability_order_seed, start=lambda w: int(w.k)),


rule interpolate:
    input:
        data=data_file,
        a="results/{exp}/trial{trial}/instability/round{round}/k{k}/copya/trained.safetensors",
        b="results/{exp}/trial{trial}/instability/round{round}/k{k}/copyb/trained.safetensors",
    output:
        "results/{exp}/trial{trial}/instability/round{round}/k{k}/path.csv",
    log:
        "results/{exp}/logs/trial{trial}/instability/round{round}-k{k}-path.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **device_job(lambda w: exp_of(w).model.name, path_minutes),
    params:
        points=lambda w: exp_of(w).instability.points,
        validation_size=lambda w: exp_of(w).data.validation_size,
        split_seed=lambda w: exp_of(w).data.split_seed,
        train_fraction=lambda w: exp_of(w).data.train_fraction,
        context=lambda w: context(w),
        code=code_version("interpolate"),
    shell:
        "lth interpolate --a {input.a} --b {input.b} --data {input.data} --points {params.points}"
        " --validation-size {params.validation_size} --split-seed {params.split_seed}"
        " --train-fraction {params.train_fraction}"
        " --threads {threads} --out {output} --provenance {params.context:q} > {log} 2>&1"


rule instability_table:
    input:
        lambda w: instability_files(w, "path.csv"),
    output:
        table=report(
            "results/{exp}/instability.csv",
            caption="../report/instability_table.rst",
            category="{exp}",
            subcategory="instability",
        ),
        paths="results/{exp}/instability_paths.csv",
    log:
        "results/{exp}/logs/instability.log",
    conda:
        "../../envs/lth.yaml"
    params:
        threshold=lambda w: exp_of(w).instability.threshold,
        code=code_version("instability"),
    shell:
        "lth instability --paths {input} --threshold {params.threshold}"
        " --out {output.table} --paths-out {output.paths} > {log} 2>&1"


# Accuracy of the IMP subnetworks rewound to k (Frankle et al. 2020, section 5): for each k, the
# trained ticket of every round the block asks for, and the dense network (round 0).
rule imp_rewinding:
    input:
        imp_rewinding_sidecars,
    output:
        report(
            "results/{exp}/imp_rewinding.csv",
            caption="../report/imp_rewinding_table.rst",
            category="{exp}",
            subcategory="instability",
        ),
    log:
        "results/{exp}/logs/imp_rewinding.log",
    conda:
        "../../envs/lth.yaml"
    params:
        k=lambda w: " ".join(str(k) for _, k, _ in imp_rewinding_runs(exp_of(w))),
        code=code_version("imp-rewinding"),
    shell:
        "lth imp-rewinding --trained {input} --k {params.k} --out {output} > {log} 2>&1"


rule instability_figures:
    input:
        table="results/{exp}/instability.csv",
        paths="results/{exp}/instability_paths.csv",
        imp="results/{exp}/imp_rewinding.csv",
    output:
        **figure_outputs("exp", INSTABILITY_FIGURES, "instability"),
    log:
        "results/{exp}/logs/instability_figures.log",
    conda:
        "../../envs/lth.yaml"
    params:
        outdir=lambda w: f"results/{w.exp}/figures",
        title=lambda w: figure_title(exp_of(w)),
        threshold=lambda w: exp_of(w).instability.threshold,
        # the round count matters to these rounds' sparsity only when it divides a target
        settings=lambda w: report_settings(
            exp_of(w),
            omit=["controls", "ablations"]
            + (["prune.rounds"] if exp_of(w).prune.target_remaining is None else []),
        ),
        code=code_version("plot-analyses"),
    shell:
        "lth plot-analyses --instability {input.table} --instability-paths {input.paths}"
        " --imp-rewinding {input.imp} --threshold {params.threshold}"
        " --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"
