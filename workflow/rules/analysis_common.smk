# Helpers of the per-experiment tables, figures and structure rules (analysis.smk).


def ticket_states(wildcards):
    exp = exp_of(wildcards)
    return [
        f"results/{exp.name}/trial{t}/round{r}/ticket/trained.safetensors"
        for t in range(exp.trials)
        for r in range(exp.prune.rounds + 1)
    ]


def analysis_targets(name):
    """Every experiment's tables and figures, and the structure analysis where there are rounds."""
    targets = [f"results/{name}/summary.csv", f"results/{name}/curves.csv"]
    targets += figure_files(f"results/{name}/figures", FIGURES)
    if EXPERIMENTS[name].prune.rounds >= 1:
        targets += [f"results/{name}/structure.csv"]
        targets += figure_files(f"results/{name}/figures", STRUCTURE_FIGURES)
    return targets


EXPERIMENT_TARGETS.append(analysis_targets)
