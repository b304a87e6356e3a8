# Per-experiment tables and paper-style figures.


rule summary:
    input:
        sidecars=lambda w: run_files(w, "trained.json"),
        metrics=lambda w: run_files(w, "metrics.csv"),
    output:
        summary=report(
            "results/{exp}/summary.csv",
            caption="../report/summary.rst",
            category="{exp}",
            subcategory="tables",
        ),
        curves="results/{exp}/curves.csv",
    log:
        "results/{exp}/logs/summary.log",
    conda:
        "../../envs/lth.yaml"
    params:
        columns=lambda w: as_json(exp_of(w).summary_columns()),
        code=code_version("summarize"),
    shell:
        "lth summarize --trained {input.sidecars} --metrics {input.metrics}"
        " --columns {params.columns:q}"
        " --out {output.summary} --curves {output.curves} > {log} 2>&1"


rule figures:
    input:
        summary="results/{exp}/summary.csv",
        curves="results/{exp}/curves.csv",
    output:
        **figure_outputs("exp", FIGURES, "figures"),
    log:
        "results/{exp}/logs/figures.log",
    conda:
        "../../envs/lth.yaml"
    params:
        outdir=lambda w: f"results/{w.exp}/figures",
        title=lambda w: figure_title(exp_of(w)),
        settings=lambda w: report_settings(exp_of(w), omit=["instability"]),
        code=code_version("plot"),
    shell:
        "lth plot --summary {input.summary} --curves {input.curves}"
        " --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"


# Stability of the ticket's structure across rounds: Spearman of trained magnitudes, mask overlap.
rule structure:
    input:
        ticket_states,
    output:
        report(
            "results/{exp}/structure.csv",
            caption="../report/structure_table.rst",
            category="{exp}",
            subcategory="structure",
        ),
    log:
        "results/{exp}/logs/structure.log",
    conda:
        "../../envs/lth.yaml"
    params:
        code=code_version("structure"),
    shell:
        "lth structure --trained {input} --out {output} > {log} 2>&1"


rule structure_figures:
    input:
        "results/{exp}/structure.csv",
    output:
        png=report(
            "results/{exp}/figures/structure.png",
            caption="../report/structure.rst",
            category="{exp}",
            subcategory="structure",
        ),
        pdf="results/{exp}/figures/structure.pdf",
    log:
        "results/{exp}/logs/structure_figures.log",
    conda:
        "../../envs/lth.yaml"
    params:
        outdir=lambda w: f"results/{w.exp}/figures",
        title=lambda w: figure_title(exp_of(w)),
        settings=lambda w: report_settings(
            exp_of(w), omit=["controls", "instability", "ablations"]
        ),
        code=code_version("plot-analyses"),
    shell:
        "lth plot-analyses --structure {input} --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"
