# Sweeps (lth.sweeps): the members' summaries in one table and overlay figures, one line per value.


rule sweep_table:
    input:
        lambda w: [f"results/{m}/summary.csv" for m in SWEEPS[w.sweep].members],
    output:
        report(
            "results/{sweep}/sweep.csv",
            caption="../report/sweep_table.rst",
            category="{sweep}",
            subcategory="sweep",
        ),
    log:
        "results/{sweep}/logs/sweep.log",
    wildcard_constraints:
        sweep="|".join(sorted(SWEEPS)) or "NONE",
    conda:
        "../../envs/lth.yaml"
    params:
        key=lambda w: SWEEPS[w.sweep].key,
        # in sweep order (not sorted): the order of the values is the figures' order
        members=lambda w: json.dumps(SWEEPS[w.sweep].labels()),
        code=code_version("sweep"),
    shell:
        "lth sweep --summaries {input} --key {params.key} --members {params.members:q}"
        " --out {output} > {log} 2>&1"


rule sweep_figures:
    input:
        "results/{sweep}/sweep.csv",
    output:
        **figure_outputs("sweep", SWEEP_FIGURES, "sweep"),
    log:
        "results/{sweep}/logs/sweep_figures.log",
    wildcard_constraints:
        sweep="|".join(sorted(SWEEPS)) or "NONE",
    conda:
        "../../envs/lth.yaml"
    params:
        outdir=lambda w: f"results/{w.sweep}/figures",
        title=lambda w: sweep_title(SWEEPS[w.sweep]),
        settings=lambda w: sweep_settings(SWEEPS[w.sweep]),
        code=code_version("plot-sweep"),
    shell:
        "lth plot-sweep --sweep {input} --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"
