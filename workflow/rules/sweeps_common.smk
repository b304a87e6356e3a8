# Helpers of the sweep rules (sweeps.smk).


def sweep_title(sweep):
    first = EXPERIMENTS[sweep.members[0]]
    values = ", ".join(sweep.labels().values())
    return (
        f"{sweep.name}: {sweep.key} = {values}; {first.model.name} on "
        f"{first.data.dataset}, {first.trials} trial(s)"
    )


def sweep_settings(sweep):
    """Report settings of a sweep: the swept key and its values, then the members' common
    settings (those of the first member without the swept key)."""
    first = EXPERIMENTS[sweep.members[0]]
    section, _, key = sweep.key.partition(".")
    if (
        not key and section in first.data.to_dict()
    ):  # the data keys sit at the top level
        section, key = "data", section
    omit = ["instability", f"{section}.{key}" if key else section]
    values = ", ".join(sweep.labels().values())
    return {"sweep": f"{sweep.key} = {values}", **report_settings(first, omit=omit)}


def sweep_targets(name):
    """A sweep's table of its members' summaries and its overlay figures."""
    return [f"results/{name}/sweep.csv"] + figure_files(
        f"results/{name}/figures", SWEEP_FIGURES
    )
