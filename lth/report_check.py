"""Before `snakemake --report`: are the results of the config the report is built for there?

Snakemake builds the report for the config it was given (config.yaml without `--configfile`) and,
when a result is missing, names only the file. The common slip is the config: a report asked for
after `snakemake --configfile configs/smoke.yaml` without that `--configfile` is built for
config.yaml's experiments. `missing_results` says which config the report was built for and which
runs the results folder holds, with the config files that build them. Torch-free: the workflow
imports it.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml


def report_requested(argv: list[str]) -> bool:
    """Whether a Snakemake command line asks for a report of existing results (not one after a run)."""
    asked = any(arg == "--report" or arg.startswith("--report=") for arg in argv)
    return asked and "--report-after-run" not in argv


def missing_results(
    targets: list[str], configfiles: list[str | os.PathLike], configs: Path, workdir: Path = Path(".")
) -> str | None:
    """None when every target but the PDFs (which no report shows) exists under ``workdir``, else the
    message: the config the report was built for, the first missing result, the runs ``results/``
    holds and the files of ``configs`` (a folder of config files) whose `run:` names them."""
    missing = [t for t in targets if not t.endswith(".pdf") and not (workdir / t).exists()]
    if not missing:
        return None
    given = " ".join(str(f) for f in configfiles)
    built_for = f"--configfile {given}" if given else "config.yaml (no --configfile given)"
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    message = f"the report is built for {built_for}, whose results are missing: {missing[0]}{more}."
    runs = sorted(p.parent.name for p in (workdir / "results").glob("*/figures") if p.is_dir())
    matching = [path for path in sorted(configs.glob("*.yaml")) if set(_run_of(path)) & set(runs)]
    if runs:
        named = f" (run by {', '.join(f'configs/{p.name}' for p in matching)})" if matching else ""
        message += f" results/ holds: {', '.join(runs)}{named}."
    example = f"configs/{matching[0].name}" if matching else "<the run's config file>"
    return (
        f"{message} Build the report with the config files of the run, e.g. "
        f"snakemake --report results/report.html --configfile {example}"
    )


def _run_of(path: Path) -> list[str]:
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return []
    run = config.get("run", []) if isinstance(config, dict) else []
    return [str(name) for name in run] if isinstance(run, list) else []
