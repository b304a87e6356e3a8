"""Every figure of a results page is re-rendered from the page's committed CSVs by its figures.sh,
and every image a page shows is in the page folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

RESULTS = REPO / "docs" / "results"
SCRIPTED = sorted(path.parent for path in RESULTS.glob("*/figures.sh"))
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def _pngs(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*.png")}


@pytest.mark.parametrize("page", SCRIPTED, ids=lambda p: p.name)
def test_figures_are_rerendered_from_the_committed_csvs(page, tmp_path):
    """The page folder without its images: figures.sh must draw every committed PNG again."""
    copy = tmp_path / page.name
    shutil.copytree(page, copy, ignore=shutil.ignore_patterns("*.png", "*.pdf", "__pycache__"))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "MPLBACKEND": "Agg",
    }
    result = subprocess.run(["bash", str(copy / "figures.sh")], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _pngs(copy) == _pngs(page), "figures.sh must draw exactly the page's committed figures"


@pytest.mark.parametrize(
    "md", sorted([*RESULTS.glob("*/README.md"), REPO / "README.md"]), ids=lambda p: str(p.relative_to(REPO))
)
def test_shown_images_exist(md):
    text = md.read_text()
    missing = [src for src in IMAGE.findall(text) if not src.startswith("http") and not (md.parent / src).is_file()]
    assert not missing, f"{md.relative_to(REPO)} shows images that are not there: {missing}"
