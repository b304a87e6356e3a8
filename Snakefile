# lth: the Lottery Ticket Hypothesis, end to end.
# Edit config.yaml (or pass --configfile), then `snakemake --cores 8 --use-conda`.
# All science lives in the `lth` package; rules only wire its CLI into a DAG.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/imp.smk"
include: "workflow/rules/instability.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/ablations.smk"
include: "workflow/rules/anatomy.smk"
include: "workflow/rules/sweeps.smk"
include: "workflow/rules/studies_common.smk"
include: "workflow/rules/studies.smk"


rule all:
    default_target: True
    input:
        all_targets(),
