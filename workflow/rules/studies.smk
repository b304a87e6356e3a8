# Studies (config `studies:`, lth/studies/): the ticket study of a small IMP experiment and the
# XOR study. Each job gets only its study's config slice, plus a code hash of what it uses
# (helpers in studies_common.smk).


rule studies:
    input:
        [target for name in STUDIES for target in study_targets(name)],


# --- ticket study ---------------------------------------------------------------------------


rule ticket_weights:
    input:
        data=lambda w: f"results/data/{studied(w).data.dataset}.safetensors",
        trained=dense_states,
    output:
        stats="results/{tstudy}/weight_stats.csv",
        sweep="results/{tstudy}/no_retraining.csv",
        stats_html=report(
            "results/{tstudy}/weight_stats.html",
            caption="../report/ticket_weights.rst",
            category="{tstudy}",
            subcategory="tables",
        ),
        sweep_html=report(
            "results/{tstudy}/no_retraining.html",
            caption="../report/ticket_no_retraining.rst",
            category="{tstudy}",
            subcategory="tables",
        ),
    log:
        "results/{tstudy}/logs/weights.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **device_job(lambda w: studied(w).model.name, weight_study_minutes),
    params:
        study=lambda w: study_slice(w.tstudy, ("percentiles", "small_weights")),
        validation_size=lambda w: studied(w).data.validation_size,
        split_seed=lambda w: studied(w).data.split_seed,
        code=code_version("weight-study"),
    shell:
        "lth weight-study --study {params.study:q} --trained {input.trained} --data {input.data}"
        " --validation-size {params.validation_size} --split-seed {params.split_seed}"
        " --threads {threads} --stats {output.stats} --sweep {output.sweep}"
        " --stats-html {output.stats_html} --sweep-html {output.sweep_html} > {log} 2>&1"


rule ticket_select:
    input:
        summary=lambda w: f"results/{studied(w).name}/summary.csv",
        trained=lambda w: [
            f"results/{studied(w).name}/trial{w.trial}/round{r}/ticket/trained.safetensors"
            for r in range(studied(w).prune.rounds + 1)
        ],
    output:
        ticket="results/{tstudy}/trial{trial}/ticket.csv",
        mask="results/{tstudy}/trial{trial}/ticket_mask.safetensors",
        sidecar="results/{tstudy}/trial{trial}/ticket_mask.json",
    log:
        "results/{tstudy}/logs/trial{trial}/ticket.log",
    conda:
        "../../envs/lth.yaml"
    params:
        study=lambda w: study_slice(w.tstudy, ("criterion", "metric")),
        code=code_version("ticket"),
    shell:
        "lth ticket --study {params.study:q} --summary {input.summary} --trial {wildcards.trial}"
        " --trained {input.trained} --out {output.ticket} --mask {output.mask} > {log} 2>&1"


# The ticket's mask with fresh weights (the reinit control's start) and its longer training.
rule ticket_new_init_start:
    input:
        mask="results/{tstudy}/trial{trial}/ticket_mask.safetensors",
        weights=lambda w: f"results/{studied(w).name}/trial{w.trial}/init.safetensors",
    output:
        state="results/{tstudy}/trial{trial}/new_init/start.safetensors",
        sidecar="results/{tstudy}/trial{trial}/new_init/start.json",
    log:
        "results/{tstudy}/logs/trial{trial}/new_init_start.log",
    conda:
        "../../envs/lth.yaml"
    params:
        seed=lambda w: STUDIES[w.tstudy].new_init_seed(w.tstudy, int(w.trial)),
        context=lambda w: as_json(
            {"study": w.tstudy, "trial": int(w.trial), "variant": "new_init"}
        ),
        code=code_version("control"),
    shell:
        "lth control --kind reinit --mask {input.mask} --weights {input.weights}"
        " --seed {params.seed} --out {output.state} --provenance {params.context:q} > {log} 2>&1"


rule ticket_new_init_train:
    input:
        data=lambda w: f"results/data/{studied(w).data.dataset}.safetensors",
        start="results/{tstudy}/trial{trial}/new_init/start.safetensors",
    output:
        state="results/{tstudy}/trial{trial}/new_init/trained.safetensors",
        sidecar="results/{tstudy}/trial{trial}/new_init/trained.json",
        metrics="results/{tstudy}/trial{trial}/new_init/metrics.csv",
    log:
        "results/{tstudy}/logs/trial{trial}/new_init.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    resources:
        **training_job(new_init_spec, experiment=studied),
    params:
        # the ticket's data order (the default): ticket and new init differ only in their initial weights
        **train_params(
            train=new_init_train_spec,
            experiment=studied,
            provenance=lambda w: as_json(
                {"study": w.tstudy, "trial": int(w.trial), "variant": "new_init"}
            ),
        ),
    shell:
        train_command()


rule ticket_summary:
    input:
        tickets=lambda w: study_trial_files(w, "ticket.csv"),
        masks=lambda w: study_trial_files(w, "ticket_mask.safetensors"),
        new_init=lambda w: study_trial_files(w, "new_init/trained.json"),
        metrics=lambda w: study_trial_files(w, "new_init/metrics.csv"),
    output:
        summary="results/{tstudy}/summary.csv",
        html=report(
            "results/{tstudy}/summary.html",
            caption="../report/ticket_summary.rst",
            category="{tstudy}",
            subcategory="tables",
        ),
    log:
        "results/{tstudy}/logs/summary.log",
    conda:
        "../../envs/lth.yaml"
    params:
        study=lambda w: study_slice(w.tstudy, ("metric", "new_init_budget")),
        budget=lambda w: studied(w).train.iterations,
        new_init_budget=lambda w: STUDIES[w.tstudy].new_init_budget,
        code=code_version("ticket-summary"),
    shell:
        "lth ticket-summary --study {params.study:q} --tickets {input.tickets} --masks {input.masks}"
        " --new-init {input.new_init} --new-init-metrics {input.metrics} --budget {params.budget}"
        " --out {output.summary} --html {output.html} > {log} 2>&1"


rule ticket_figures:
    input:
        trained=dense_states,
        stats="results/{tstudy}/weight_stats.csv",
        sweep="results/{tstudy}/no_retraining.csv",
        tickets=lambda w: study_trial_files(w, "ticket.csv"),
        exp_summary=lambda w: f"results/{studied(w).name}/summary.csv",
        exp_curves=lambda w: f"results/{studied(w).name}/curves.csv",
        metrics=lambda w: study_trial_files(w, "new_init/metrics.csv"),
    output:
        **figure_outputs("tstudy", TICKET_FIGURES, "figures"),
    log:
        "results/{tstudy}/logs/figures.log",
    conda:
        "../../envs/lth.yaml"
    params:
        study=lambda w: study_slice(w.tstudy, ("metric",)),
        budget=lambda w: studied(w).train.iterations,
        outdir=lambda w: f"results/{w.tstudy}/figures",
        title=lambda w: study_title(w.tstudy),
        criterion=lambda w: STUDIES[w.tstudy].criterion,
        code=code_version("plot-ticket"),
    shell:
        "lth plot-ticket --study {params.study:q} --trained {input.trained} --stats {input.stats}"
        " --sweep {input.sweep} --tickets {input.tickets} --exp-summary {input.exp_summary}"
        " --exp-curves {input.exp_curves} --new-init-metrics {input.metrics}"
        " --budget {params.budget} --outdir {params.outdir} --title {params.title:q} > {log} 2>&1"


# --- XOR study ------------------------------------------------------------------------------


rule xor_dense:
    output:
        nets="results/{xstudy}/h{width}/nets.safetensors",
        sidecar="results/{xstudy}/h{width}/nets.json",
        outcomes="results/{xstudy}/h{width}/outcomes.csv",
    log:
        "results/{xstudy}/logs/h{width}.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    params:
        study=lambda w: study_slice(w.xstudy, XOR_TRAINING_KEYS),
        code=code_version("xor-dense"),
    shell:
        "lth xor-dense --study {params.study:q} --width {wildcards.width} --threads {threads}"
        " --out {output.nets} --outcomes {output.outcomes} > {log} 2>&1"


rule xor_prune:
    input:
        nets=lambda w: f"results/{w.xstudy}/h{STUDIES[w.xstudy].prune_from}/nets.safetensors",
    output:
        "results/{xstudy}/pruned/{heuristic}-{mode}.csv",
    log:
        "results/{xstudy}/logs/pruned-{heuristic}-{mode}.log",
    conda:
        "../../envs/lth.yaml"
    threads: config["threads"]
    params:
        study=xor_pruning_slice,
        code=code_version("xor-prune"),
    shell:
        "lth xor-prune --study {params.study:q} --nets {input.nets} --heuristic {wildcards.heuristic}"
        " --mode {wildcards.mode} --threads {threads} --out {output} > {log} 2>&1"


rule xor_tables:
    input:
        dense=lambda w: [
            f"results/{w.xstudy}/h{h}/outcomes.csv" for h in STUDIES[w.xstudy].widths
        ],
        pruned=lambda w: [
            f"results/{w.xstudy}/pruned/{h}-{m}.csv"
            for h in STUDIES[w.xstudy].heuristics
            for m in STUDIES[w.xstudy].modes
        ],
        unpruned=lambda w: f"results/{w.xstudy}/h{STUDIES[w.xstudy].prune_from}/outcomes.csv",
    output:
        table1="results/{xstudy}/table1.csv",
        table2="results/{xstudy}/table2.csv",
        table1_html=report(
            "results/{xstudy}/table1.html",
            caption="../report/xor_table1.rst",
            category="{xstudy}",
            subcategory="tables",
        ),
        table2_html=report(
            "results/{xstudy}/table2.html",
            caption="../report/xor_table2.rst",
            category="{xstudy}",
            subcategory="tables",
        ),
        png=report(
            "results/{xstudy}/figures/xor_success.png",
            caption="../report/xor_figure.rst",
            category="{xstudy}",
            subcategory="figures",
        ),
        pdf="results/{xstudy}/figures/xor_success.pdf",
    log:
        "results/{xstudy}/logs/tables.log",
    conda:
        "../../envs/lth.yaml"
    params:
        study=lambda w: study_slice(w.xstudy),
        outdir=lambda w: f"results/{w.xstudy}/figures",
        title=lambda w: study_title(w.xstudy),
        code=code_version("xor-tables"),
    shell:
        "lth xor-tables --study {params.study:q} --dense {input.dense} --pruned {input.pruned}"
        " --unpruned {input.unpruned} --table1 {output.table1} --table1-html {output.table1_html} --table2 {output.table2}"
        " --table2-html {output.table2_html} --outdir {params.outdir} --title {params.title:q}"
        " > {log} 2>&1"
