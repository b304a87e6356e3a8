# lth: the Lottery Ticket Hypothesis, end to end.
# Edit config.yaml (or pass --configfile), then `snakemake --cores 8 --use-conda`.
# All science lives in the `lth` package; rules only wire its CLI into a DAG.

import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

from lth.configfile import check_files as check_config_files
from lth.errors import LthError
from lth.report_check import missing_results, report_requested

min_version("9.0")

# config.yaml is the config only when no --configfile is given: a file given on the command line
# (configs/smoke.yaml) is the whole config, not merged over config.yaml's experiments, so a run
# builds only what its files define. Several files still merge in order (config.yaml overrides.yaml).
DEFAULT_CONFIG = [] if workflow.overwrite_configfiles else ["config.yaml"]

# Snakemake's message for a config file that does not parse names neither file nor line.
try:
    check_config_files(DEFAULT_CONFIG)
except LthError as exc:
    raise WorkflowError(f"config error: {exc}")

for path in DEFAULT_CONFIG:

    configfile: path


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/report_common.smk"
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


# `snakemake --report` for a config whose results are not there: say which config that is.
if report_requested(sys.argv):
    problem = missing_results(
        all_targets(),
        workflow.overwrite_configfiles,
        Path(workflow.basedir) / "configs",
    )
    if problem:
        raise WorkflowError(f"report: {problem}")


rule all:
    default_target: True
    input:
        all_targets(),
