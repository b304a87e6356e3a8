"""Every Snakemake command in a ```bash block of the README and docs/ plans its DAG as written.

Each command is dry-run (`-n`, in an empty working directory, so results already in the checkout
change nothing) exactly as the page writes it; only commands that need a cluster or name a
placeholder (`<partition>`) are left to the tests that run them for real (tests/slurm/). The
`--report` commands are run for real after the smoke run by
tests/test_pipeline.py::test_report_renders_in_chromium, and the configs' own header commands by
tests/test_config_commands.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_config_commands import planned_jobs

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
COMMAND = re.compile(r"^(?:nice -n \d+ )?snakemake\b")


def documented_commands() -> list[tuple[str, str]]:
    """(page, command) for each snakemake command of a bash block: continuation lines joined,
    trailing comments dropped, placeholders and reports left out (see the module docstring); a
    command several pages show is run once, for the first."""
    found, seen = [], set()
    for page in PAGES:
        for block in BLOCK.findall(page.read_text()):
            for line in block.replace("\\\n", " ").splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip()
                if COMMAND.match(command) and "<" not in command and "--report" not in command:
                    if " ".join(command.split()) not in seen:
                        seen.add(" ".join(command.split()))
                        found.append((str(page.relative_to(REPO)), command))
    return found


COMMANDS = documented_commands()


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 10, COMMANDS


@pytest.mark.pipeline
@pytest.mark.parametrize(("page", "command"), COMMANDS, ids=[f"{p}: {c[:60]}" for p, c in COMMANDS])
def test_documented_command_plans_its_jobs(page, command, tmp_path):
    if "--configfile" not in command:  # config.yaml is read from the working directory
        shutil.copy(REPO / "config.yaml", tmp_path)
    assert planned_jobs(command, tmp_path) > 0, f"{page}: {command} planned no jobs"
