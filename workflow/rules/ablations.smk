# Ablations beside the ticket (experiment key `ablations`), each its own chain of masks
# (mask_<ablation>, see rule prune): finetune keeps training the pruned trained weights (no
# rewind), inverse removes the largest magnitudes, clamped trains with |w| clipped. Their other
# steps are the ticket's rules: prune, rewind (inverse, clamped) and train.


use rule train_dense as train_clamped_dense with:
    output:
        state="results/{exp}/trial{trial}/round0/clamped/trained.safetensors",
        sidecar="results/{exp}/trial{trial}/round0/clamped/trained.json",
        metrics="results/{exp}/trial{trial}/round0/clamped/metrics.csv",
        rewind="results/{exp}/trial{trial}/rewind_clamped.safetensors",
        rewind_sidecar="results/{exp}/trial{trial}/rewind_clamped.json",
    log:
        "results/{exp}/logs/trial{trial}/round0/clamped.log",
    params:
        **train_params(round=0, variant="clamped", clamp=clamp_flag),
        save_at=lambda w: exp_of(w).rewind_iteration,


# Fine-tuning (Han et al. 2015): round r's mask applied to the trained weights of round r-1.
use rule rewind as finetune_start with:
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
    params:
        context=lambda w: context(w, variant="finetune"),
        code=code_version("rewind"),
