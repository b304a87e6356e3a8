# What the tickets are made of (lth.anatomy): initial values of the surviving weights and
# surviving connections per unit, from the masks and rewind states already written (no training).


rule anatomy:
    input:
        anatomy_states,
    output:
        stats=report(
            "results/{exp}/anatomy.csv",
            caption="../report/anatomy_table.rst",
            category="{exp}",
            subcategory="anatomy",
        ),
        hist="results/{exp}/anatomy_hist.csv",
        units="results/{exp}/anatomy_units.csv",
    log:
        "results/{exp}/logs/anatomy.log",
    conda:
        "../../envs/lth.yaml"
    params:
        code=code_version("anatomy"),
    shell:
        "lth anatomy --states {input} --out {output.stats} --hist {output.hist}"
        " --units {output.units} > {log} 2>&1"


rule anatomy_figures:
    input:
        stats="results/{exp}/anatomy.csv",
        hist="results/{exp}/anatomy_hist.csv",
        units="results/{exp}/anatomy_units.csv",
    output:
        **figure_outputs("exp", ANATOMY_FIGURES, "anatomy"),
    log:
        "results/{exp}/logs/anatomy_figures.log",
    conda:
        "../../envs/lth.yaml"
    params:
        outdir=lambda w: f"results/{w.exp}/figures",
        title=lambda w: figure_title(exp_of(w)),
        settings=lambda w: report_settings(
            exp_of(w), omit=["controls", "instability", "ablations"]
        ),
        code=code_version("plot-anatomy"),
    shell:
        "lth plot-anatomy --stats {input.stats} --hist {input.hist} --units {input.units}"
        " --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"
