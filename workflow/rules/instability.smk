# Linear-mode-connectivity instability (Frankle et al. 2020): for each rewind point k and chosen
# round, two copies start from the round's mask ⊙ θ_k, train from k with different data orders,
# and the error along the line between them is measured.


# θ_k of the trial's dense run for k > 0: the same training from θ₀ with the same data order,
# stopped at k (bit-identical to the dense run's state at k on a CPU).
rule spawn:
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
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **training_job(spawn_spec),
    params:
        **train_params(train=spawn_train_spec, round=0, variant="spawn"),
    shell:
        train_command()


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
        code=code_version("start"),
    shell:
        "lth rewind --weights {input.weights} {params.mask} --out {output.state}"
        " --provenance {params.context:q} > {log} 2>&1"


rule instability_train:
    input:
        data=data_file,
        start="results/{exp}/trial{trial}/instability/round{round}/k{k}/start.safetensors",
    output:
        state="results/{exp}/trial{trial}/instability/round{round}/k{k}/copy{member}/trained.safetensors",
        sidecar="results/{exp}/trial{trial}/instability/round{round}/k{k}/copy{member}/trained.json",
        metrics="results/{exp}/trial{trial}/instability/round{round}/k{k}/copy{member}/metrics.csv",
    log:
        "results/{exp}/logs/trial{trial}/instability/round{round}-k{k}-copy{member}.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **training_job(),
    params:
        **train_params(order_seed=instability_order_seed),
    shell:
        train_command("--start-iteration {wildcards.k}")


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
        code=code_version("instability"),
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


rule instability_figures:
    input:
        table="results/{exp}/instability.csv",
        paths="results/{exp}/instability_paths.csv",
    output:
        png=report(
            expand(
                "results/{{exp}}/figures/{fig}.png",
                fig=["instability_paths", "instability_vs_k"],
            ),
            caption="../report/instability.rst",
            category="{exp}",
            subcategory="instability",
        ),
        pdf=expand(
            "results/{{exp}}/figures/{fig}.pdf",
            fig=["instability_paths", "instability_vs_k"],
        ),
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
        code=code_version("figures"),
    shell:
        "lth plot-analyses --instability {input.table} --instability-paths {input.paths}"
        " --threshold {params.threshold} --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"
