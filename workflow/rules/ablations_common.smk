# Helpers of the ablation rules (ablations.smk).


# The clamped ablation's dense network: θ₀ trained with clipping, saving its own θ_k.


def finetune_weights(wildcards):
    """The trained weights a fine-tuned round continues from: the previous round's fine-tuned
    network, or the dense ticket for round 1."""
    previous = int(wildcards["round"]) - 1
    variant = "finetune" if previous > 0 else "ticket"
    return f"results/{wildcards.exp}/trial{wildcards.trial}/round{previous}/{variant}/trained.safetensors"
