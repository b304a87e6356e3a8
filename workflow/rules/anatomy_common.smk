# Helpers of the anatomy rules (anatomy.smk).


def anatomy_states(wildcards):
    """Per trial: θ_k with the full mask (round 0) and every round's ticket start (mask ⊙ θ_k)."""
    exp = exp_of(wildcards)
    states = []
    for t in range(exp.trials):
        states.append(f"results/{exp.name}/trial{t}/rewind.safetensors")
        states += [
            f"results/{exp.name}/trial{t}/round{r}/ticket/start.safetensors"
            for r in range(1, exp.prune.rounds + 1)
        ]
    return states


def anatomy_targets(name):
    """The anatomy of the tickets, where there are rounds."""
    if EXPERIMENTS[name].prune.rounds < 1:
        return []
    return [f"results/{name}/anatomy.csv"] + figure_files(
        f"results/{name}/figures", ANATOMY_FIGURES
    )


EXPERIMENT_TARGETS.append(anatomy_targets)
