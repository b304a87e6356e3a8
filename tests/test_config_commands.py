"""The run commands of configs/*.yaml, dry-run exactly as their headers write them.

Each config's header comment gives the command that runs it and the number of jobs it plans.
A file given with `--configfile` is the whole config (config.yaml is read only without one), so
a smoke config plans only what it defines. Each command runs with `-n` added and in an empty
working directory (`--directory`, so results already in the checkout change no count); the
planned total must be the header's.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lth.report_check import missing_results, report_requested

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))


def header(path: Path) -> tuple[str, int]:
    """The command line and the job count of a config file's leading comment."""
    comment = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        comment.append(line[1:].strip())
    commands = [line for line in comment if re.match(r"(nice -n \d+ )?snakemake ", line)]
    counts = re.findall(r"\b(\d[\d,]*) jobs\b", " ".join(comment))
    assert len(commands) == 1 and len(counts) == 1, f"{path.name}: header needs one command and one 'N jobs'"
    return commands[0], int(counts[0].replace(",", ""))


def planned_jobs(command: str, workdir: Path) -> int:
    """Total jobs of the dry run of ``command`` (run from the checkout, results in ``workdir``)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    words = shlex.split(command)
    at = words.index("snakemake") + 1  # the added options go first: after `--` all words are targets
    proc = subprocess.run(
        [*words[:at], "-n", "--directory", str(workdir), *words[at:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    totals = re.findall(r"^total\s+(\d+)$", proc.stdout, flags=re.M)
    assert totals, proc.stdout[-3000:]
    return int(totals[-1])


@pytest.mark.pipeline
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_header_command_plans_the_stated_jobs(path, tmp_path):
    command, jobs = header(path)
    assert f"--configfile configs/{path.name}" in command
    assert planned_jobs(command, tmp_path) == jobs


@pytest.mark.pipeline
@pytest.mark.parametrize(
    "command",
    [
        # A target goes before --configfile, which reads every word after it as a config file ...
        "snakemake --cores 2 studies --configfile configs/smoke_studies.yaml",
        # ... or after `--`.
        "snakemake --cores 2 --configfile configs/smoke_studies.yaml -- studies",
    ],
)
def test_a_target_with_a_config_file(command, tmp_path):
    """The smoke studies plan only the smoke config's 22 jobs, not config.yaml's studies too."""
    assert planned_jobs(command, tmp_path) == header(REPO / "configs/smoke_studies.yaml")[1] == 22


@pytest.mark.pipeline
def test_without_configfile_config_yaml_is_the_config(tmp_path):
    """No --configfile: config.yaml of the working directory, the README's default run."""
    shutil.copyfile(REPO / "config.yaml", tmp_path / "config.yaml")
    default = planned_jobs("snakemake --cores 2", tmp_path)
    assert default == planned_jobs("snakemake --cores 2 --configfile config.yaml", tmp_path) > 100


# --- `snakemake --report` for a config whose results are missing ------------------------------


def test_report_requested_only_for_a_report_of_existing_results():
    assert report_requested(["snakemake", "--report", "r.html", "--configfile", "c.yaml"])
    assert report_requested(["snakemake", "--report=r.html"])
    assert not report_requested(["snakemake", "--report", "r.html", "--report-after-run", "--cores", "2"])
    assert not report_requested(["snakemake", "--cores", "2", "--report-stylesheet", "s.css"])


def test_missing_results_names_the_config_and_the_run_there(tmp_path):
    """After a smoke run, a report built for config.yaml names config.yaml, the missing result, the
    run results/ holds and the config file that runs it."""
    (tmp_path / "results/smoke/figures").mkdir(parents=True)
    (tmp_path / "results/smoke/summary.csv").write_text("x\n")
    targets = ["results/smoke/summary.csv", "results/smoke/figures/accuracy.pdf"]
    assert missing_results(targets, [], REPO / "configs", tmp_path) is None  # PDFs are not in reports
    message = missing_results(
        ["results/lenet_mnist/summary.csv", "results/lenet_mnist/structure.csv"], [], REPO / "configs", tmp_path
    )
    assert message == (
        "the report is built for config.yaml (no --configfile given), whose results are missing: "
        "results/lenet_mnist/summary.csv and 1 more. results/ holds: smoke (run by configs/smoke.yaml). "
        "Build the report with the config files of the run, e.g. "
        "snakemake --report results/report.html --configfile configs/smoke.yaml"
    )
    given = missing_results(["results/x/summary.csv"], ["configs/xor.yaml"], tmp_path / "none", tmp_path)
    assert given.startswith(
        "the report is built for --configfile configs/xor.yaml, whose results are missing: "
        "results/x/summary.csv. results/ holds: smoke. Build the report"
    )
    assert given.endswith("--configfile <the run's config file>")
