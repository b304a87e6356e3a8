"""The conda environment pins the same versions as pyproject.toml."""

import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def pins(requirements):
    return {m.group(1).lower(): m.group(2) for r in requirements if (m := re.match(r"^([A-Za-z0-9_.-]+)==(\S+)$", r))}


def test_conda_env_pins_match_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((REPO / "envs/lth.yaml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(project) and pins(pip) == pins(project)
