"""Code versions from the import graph: every rule hashes the code its subcommand runs, and no more.

The workflow's half (Snakemake re-running a rule whose code changed) is in test_pipeline.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lth import codeversion
from lth.cli import SUBCOMMANDS

REPO = Path(__file__).resolve().parents[1]
RULES = sorted((REPO / "workflow" / "rules").glob("*.smk"))


def rule_blocks():
    """(file, rule name, text) of every rule of the workflow."""
    for path in RULES:
        for block in re.split(r"(?m)^(?=rule |use rule )", path.read_text())[1:]:
            yield path.name, re.match(r"(?:use )?rule (\w+)", block).group(1), block


def test_each_rule_hashes_the_subcommand_it_runs():
    """A rule's `code` param is the version of the very subcommand its shell command runs, so a
    new rule cannot borrow another command's version and miss its own modules."""
    checked = 0
    for name, rule, block in rule_blocks():
        commands = set(re.findall(r'"lth ([a-z][a-z-]*)', block))
        if "train_command(" in block:
            commands.add("train")
        if block.startswith("use rule") and not commands:
            continue  # inherits the shell command and its code version
        versions = set(re.findall(r'code_version\("([a-z-]+)"\)', block))
        if "train_params(" in block:
            versions.add("train")  # train_params holds code_version("train")
        assert versions == commands, f"{name}: rule {rule} runs {commands} but hashes {versions}"
        assert commands <= set(SUBCOMMANDS), f"{name}: rule {rule}"
        checked += bool(commands)
    assert checked >= 25  # the parser found the rules (those reusing a body with `use rule` are skipped)


def test_closure_follows_imports_also_inside_functions():
    control = codeversion.modules("control")
    assert {
        "lth.controls",
        "lth.masks",
        "lth.models",
        "lth.models.mlp",
        "lth.checkpoint",
        "lth.cli.control",
        "lth.cli.common",
        "lth",
    } <= set(control)
    assert not {"lth.training", "lth.figures", "lth.cli"} & set(control)  # not run; the dispatcher is left out
    # `lth structure` imports lth.stability inside its run(): the version must still cover it.
    assert "lth.stability" in codeversion.modules("structure")
    assert "lth.figures" in codeversion.modules("plot") and "lth.variants" in codeversion.modules("plot")


@pytest.fixture
def tree(tmp_path):
    """A copy of the lth package to edit."""
    shutil.copytree(REPO / "lth", tmp_path / "lth", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "lth"


def versions(root: Path) -> dict[str, str]:
    return {command: codeversion.version(command, root) for command in SUBCOMMANDS}


def test_editing_a_module_changes_exactly_the_versions_of_its_importers(tree):
    before = versions(tree)
    assert before == versions(REPO / "lth")  # the version does not depend on where the tree is
    with (tree / "controls.py").open("a") as f:
        f.write("\n# an edit of the control starts\n")
    after = versions(tree)
    changed = {c for c in SUBCOMMANDS if before[c] != after[c]}
    assert changed == {"control"}


def test_a_new_module_is_covered_as_soon_as_it_is_imported(tree):
    (tree / "helper.py").write_text("VALUE = 1\n")
    before = codeversion.version("control", tree)
    assert before == versions(REPO / "lth")["control"]  # not imported yet: not part of it
    controls = tree / "controls.py"
    controls.write_text(controls.read_text().replace("import torch\n", "import torch\n\nfrom lth import helper\n", 1))
    imported = codeversion.version("control", tree)
    (tree / "helper.py").write_text("VALUE = 2\n")
    assert len({before, imported, codeversion.version("control", tree)}) == 3


def test_computing_versions_imports_no_torch():
    """The workflow computes every rule's version while it parses: torch would slow every Snakemake process."""
    code = "import sys; from lth import codeversion; codeversion.version('train'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_no_import_cycle_in_lth():
    """No lth module imports, however indirectly and at whatever depth, one that imports it back
    (lth/cli.py and lth/studies/cli.py once did)."""
    root = REPO / "lth"
    names = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def imports(name):
        stat = names[name].stat()
        found = codeversion._imports(names[name], name, (stat.st_mtime_ns, stat.st_size))
        return {m for m in found if m in names and m != name}

    for name in names:
        reached, todo = set(), list(imports(name))
        while todo:
            module = todo.pop()
            if module not in reached:
                reached.add(module)
                todo.extend(imports(module))
        assert name not in reached, f"{name} imports itself through {sorted(reached)}"
