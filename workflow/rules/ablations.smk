# Ablations beside the ticket (experiment key `ablations`), each its own chain of masks
# (mask_<ablation>, see rule prune): finetune keeps training the pruned trained weights (no
# rewind), inverse removes the largest magnitudes, clamped trains with |w| clipped. Their other
# steps are the ticket's rules: prune, rewind (inverse, clamped) and train.


# The clamped ablation's dense network: θ₀ trained with clipping, saving its own θ_k.
rule train_clamped_dense:
    input:
        data=data_file,
        start="results/{exp}/trial{trial}/init.safetensors",
    output:
        state="results/{exp}/trial{trial}/round0/clamped/trained.safetensors",
        sidecar="results/{exp}/trial{trial}/round0/clamped/trained.json",
        metrics="results/{exp}/trial{trial}/round0/clamped/metrics.csv",
        rewind="results/{exp}/trial{trial}/rewind_clamped.safetensors",
        rewind_sidecar="results/{exp}/trial{trial}/rewind_clamped.json",
    log:
        "results/{exp}/logs/trial{trial}/round0/clamped.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **training_job(),
    params:
        **train_params(round=0, variant="clamped"),
        clamp=clamp_flag,
    shell:
        train_command(
            "--save-at {params.rewind_iteration} --save-out {output.rewind} {params.clamp}"
        )


# Fine-tuning (Han et al. 2015): round r's mask applied to the trained weights of round r-1.
rule finetune_start:
    input:
        mask="results/{exp}/trial{trial}/round{round}/mask_finetune.safetensors",
        weights=finetune_weights,
    output:
        state="results/{exp}/trial{trial}/round{round}/finetune/start.safetensors",
        sidecar="results/{exp}/trial{trial}/round{round}/finetune/start.json",
    log:
        "results/{exp}/logs/trial{trial}/round{round}/finetune-start.log",
    wildcard_constraints:
        round=r"[1-9]\d*",
    conda:
        "../../envs/lth.yaml"
    params:
        context=lambda w: context(w, variant="finetune"),
        code=code_version("rewind"),
    shell:
        "lth rewind --mask {input.mask} --weights {input.weights} --out {output.state}"
        " --provenance {params.context:q} > {log} 2>&1"
