"""The docs' generated tables and numbers match the committed CSVs they are computed from."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_docs_tables_are_current():
    result = subprocess.run(
        [sys.executable, "docs/build_tables.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, f"stale docs (run `python docs/build_tables.py`):\n{result.stdout}{result.stderr}"


def test_blocks_are_regenerated_and_unknown_names_named(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "docs"))
    import build_tables

    page = tmp_path / "results" / "demo"
    page.mkdir(parents=True)
    (page / "data.csv").write_text("k,acc\n0,97.25\n100,96.5\n")
    (page / "tables.py").write_text(
        "import pandas as pd\nfrom mdtable import markdown\n"
        "TABLES = {'acc': lambda here: markdown(pd.read_csv(here / 'data.csv'), {'acc': '.1f'})}\n"
        "VALUES = {'best': lambda here: f\"{pd.read_csv(here / 'data.csv').acc.max():.2f}\"}\n"
    )
    md = page / "README.md"
    md.write_text("best <!-- value: best -->0<!-- end value -->%\n<!-- table: acc -->\nold\n<!-- end table -->\n")
    monkeypatch.setattr(build_tables, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(build_tables, "REPO", tmp_path)
    text = build_tables.render(md, {})
    assert "best <!-- value: best -->97.25<!-- end value -->%" in text
    assert "| k | acc |\n| --- | --- |\n| 0 | 97.2 |\n| 100 | 96.5 |" in text
    md.write_text("<!-- value: nope -->1<!-- end value -->")
    try:
        build_tables.render(md, {})
    except SystemExit as exc:
        assert "no value 'nope'" in str(exc)
    else:
        raise AssertionError("an unknown value name must be an error")
