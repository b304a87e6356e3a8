"""The conda environment of the rules: lth's runtime dependencies, pinned as in pyproject.toml, and
no path, so that it builds from Snakemake's copy in .snakemake/conda/; rules find lth in the checkout.

Conda cannot run here (no conda binary, no channels), so `test_rules_run_in_an_env_built_as_conda_builds_it`
does what conda's pip step does, as far as it can offline; docs/running.md's section on conda says what
that leaves out.
"""

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import tomllib
import yaml

REPO = Path(__file__).resolve().parents[1]
ENV_FILE = REPO / "envs/lth.yaml"


def pip_section() -> list[str]:
    env = yaml.safe_load(ENV_FILE.read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement).group()).lower()


def runtime_distributions() -> set[str]:
    """Distributions of every third-party module that lth/ imports (found by reading its source)."""
    modules = set()
    for source in (REPO / "lth").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | {"lth"}
    owners = importlib.metadata.packages_distributions()
    return {name(dist) for module in modules for dist in owners[module]}


def test_conda_env_pins_lths_runtime_dependencies_as_pyproject_does():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load(ENV_FILE.read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    pip = pip_section()
    assert set(pip) <= set(project)  # the same specifiers, and nothing else (no `-e`, no path)
    assert (
        {name(r) for r in pip}
        == runtime_distributions()
        == {"torch", "torchvision", "numpy", "pandas", "matplotlib", "scipy", "pyyaml", "safetensors"}
    )


def pip_install(python: Path, conda_dir: Path, requirements: list[str]) -> subprocess.CompletedProcess:
    """Conda's pip step (conda/env/installers/pip.py): the env's `pip:` list written to a
    requirements file beside the env file, then `python -m pip install -U -r <file>
    --exists-action=b` with the working directory set to that folder. `--no-index` and `--isolated`
    (no pip configuration from the machine) are added: the test resolves against what is installed
    and downloads nothing."""
    file = conda_dir / "condaenv.test.requirements.txt"
    file.write_text("\n".join(requirements))
    return subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "--isolated",
            "install",
            "-U",
            "-r",
            str(file),
            "--exists-action=b",
            "--no-index",
            "--disable-pip-version-check",
        ],
        cwd=conda_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.pipeline
def test_rules_run_in_an_env_built_as_conda_builds_it(tmp_path):
    # Snakemake's copy of the env file, where conda runs pip.
    conda_dir = tmp_path / ".snakemake" / "conda"
    conda_dir.mkdir(parents=True)
    (conda_dir / "0a1b2c3d.yaml").write_text(ENV_FILE.read_text())

    # A fresh virtualenv that sees this interpreter's installed packages, lth excepted, through a
    # folder of links and a .pth file: the installed torch is reused instead of a 2 GB download, and
    # pip too (a venv's own bundled setuptools would shadow the newer one torch asks for).
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=300)
    python = env / "bin" / "python"
    installed = Path(sysconfig.get_paths()["purelib"])
    view = tmp_path / "installed"
    view.mkdir()
    for entry in installed.iterdir():
        if not (re.match(r"(__editable__[._])?lth\b", entry.name) or entry.suffix == ".pth"):
            (view / entry.name).symlink_to(entry)
    env_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (env_site / "installed.pth").write_text(f"{view}\n")

    # The old `-e ..` resolves from .snakemake/ and fails, as it did under conda; the env's list installs.
    old = pip_install(python, conda_dir, ["-e .."])
    assert old.returncode != 0 and "does not appear to be a Python project" in old.stdout + old.stderr
    new = pip_install(python, conda_dir, pip_section())
    assert new.returncode == 0, new.stdout + new.stderr
    assert all(f"Requirement already satisfied: {r} in {view}" in new.stdout for r in pip_section())
    assert "Successfully installed" not in new.stdout  # (all of it, dependencies too, already there)

    # Jobs run with the env's python first on PATH (as conda activates it) and no PYTHONPATH from
    # outside (Snakemake drops it for conda jobs). Neither the env nor that PATH has an lth of its
    # own, so the jobs' `lth` is the checkout's (the shell prefix in workflow/rules/common.smk).
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    clean["PATH"] = f"{env / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"
    probe = subprocess.run(
        [str(python), "-c", "import torch, torchvision, pandas; import lth"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 1 and "No module named 'lth'" in probe.stderr
    assert subprocess.run(["bash", "-c", "command -v lth"], env=clean, capture_output=True).returncode == 1
    config = tmp_path / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_root": str(tmp_path / "data"),
                "device": "cpu",
                "run": [],
                "experiments": {
                    "x": {
                        "dataset": "xor",
                        "validation_size": 100,
                        "model": {"name": "mlp", "hidden": [4]},
                        "train": {"iterations": 10},
                    }
                },
            }
        )
    )
    work = tmp_path / "work"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--snakefile",
            str(REPO / "Snakefile"),
            "--directory",
            str(work),
            "--configfile",
            str(config),
            "--cores",
            "1",
            "results/data/xor.safetensors",
            "results/x/trial0/init.safetensors",
        ],
        env=clean,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert (work / "results/data/xor.safetensors").stat().st_size > 0
    sidecar = json.loads((work / "results/x/trial0/init.json").read_text())
    assert sidecar["step"] == "init" and sidecar["context"]["experiment"] == "x"
