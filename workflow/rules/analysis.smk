# Per-experiment tables and paper-style figures.


rule summary:
    input:
        sidecars=lambda w: run_files(w, "trained.json"),
        metrics=lambda w: run_files(w, "metrics.csv"),
    output:
        summary=report(
            RESULTS + "/{exp}/summary.csv",
            caption="../report/summary.rst",
            category="{exp}",
            subcategory="tables",
        ),
        curves=RESULTS + "/{exp}/curves.csv",
    params:
        code=code_version("summary"),
    log:
        LOGS + "/summary.log",
    conda:
        ENV
    shell:
        "lth summarize --trained {input.sidecars} --metrics {input.metrics}"
        " --out {output.summary} --curves {output.curves} > {log} 2>&1"


rule figures:
    input:
        summary=RESULTS + "/{exp}/summary.csv",
        curves=RESULTS + "/{exp}/curves.csv",
    output:
        png=report(
            expand(RESULTS + "/{{exp}}/figures/{fig}.png", fig=FIGURES),
            caption="../report/figures.rst",
            category="{exp}",
            subcategory="figures",
        ),
        pdf=expand(RESULTS + "/{{exp}}/figures/{fig}.pdf", fig=FIGURES),
    params:
        outdir=lambda w: f"{RESULTS}/{w.exp}/figures",
        title=lambda w: figure_title(exp_of(w)),
        code=code_version("figures"),
    log:
        LOGS + "/figures.log",
    conda:
        ENV
    shell:
        "lth plot --summary {input.summary} --curves {input.curves}"
        " --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"
