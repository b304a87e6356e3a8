# lth: the Lottery Ticket Hypothesis, end to end.
# Edit config.yaml (or pass --configfile), then `snakemake --cores 8 --use-conda`.
# All science lives in the `lth` package; rules only wire its CLI into a DAG.

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from lth.configfile import check_files as check_config_files
from lth.errors import LthError

min_version("9.0")

# Snakemake's message for a config file that does not parse names neither file nor line.
try:
    check_config_files(["config.yaml"])
except LthError as exc:
    raise WorkflowError(f"config error: {exc}")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/imp_common.smk"
include: "workflow/rules/imp.smk"
include: "workflow/rules/instability_common.smk"
include: "workflow/rules/instability.smk"
include: "workflow/rules/analysis_common.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/ablations_common.smk"
include: "workflow/rules/ablations.smk"
include: "workflow/rules/anatomy_common.smk"
include: "workflow/rules/anatomy.smk"
include: "workflow/rules/sweeps_common.smk"
include: "workflow/rules/sweeps.smk"
include: "workflow/rules/studies_common.smk"
include: "workflow/rules/studies.smk"


rule all:
    default_target: True
    input:
        all_targets(),
