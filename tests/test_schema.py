"""The config schema and the lth specs describe the same keys and values."""

import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import yaml

from lth.data import DATASETS
from lth.experiment import CONTROLS, KEYS
from lth.models import MODELS
from lth.specs import (
    DATASET_NAMES,
    HIDDEN,
    INITIALISERS,
    LAYER_KINDS,
    MODEL_NAMES,
    OPTIMIZERS,
    PRUNE_MODES,
    STRATEGIES,
    InstabilitySpec,
    ModelSpec,
    PruneSpec,
    TrainSpec,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
EXPERIMENT = SCHEMA["$defs"]["experiment"]["properties"]


def test_experiment_keys_match():
    assert set(EXPERIMENT) == set(KEYS)


def test_spec_fields_match():
    for key, spec in (
        ("model", ModelSpec),
        ("train", TrainSpec),
        ("prune", PruneSpec),
        ("instability", InstabilitySpec),
    ):
        assert set(EXPERIMENT[key]["properties"]) == {f.name for f in fields(spec)}, key


def test_spec_names_match_registries():
    """The specs validate names from torch-free copies of the registries' keys."""
    assert MODEL_NAMES == tuple(MODELS) and DATASET_NAMES == tuple(DATASETS)
    assert set(HIDDEN) <= set(MODELS)


def test_validating_a_config_imports_no_torch():
    """Every Snakemake process (each cluster job too) validates the config: torch would add 1.3 s."""
    code = (
        "import sys, lth.experiment, lth.sweeps, lth.studies; "
        "lth.experiment.Experiment.from_config('e', {'model': {'name': 'conv2'}, 'dataset': 'cifar10'}); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_enums_match_registries():
    assert set(EXPERIMENT["dataset"]["enum"]) == set(DATASETS)
    assert set(EXPERIMENT["model"]["properties"]["name"]["enum"]) == set(MODELS)
    assert set(EXPERIMENT["model"]["properties"]["init"]["enum"]) == set(INITIALISERS)
    assert set(EXPERIMENT["train"]["properties"]["optimizer"]["enum"]) == set(OPTIMIZERS)
    assert set(EXPERIMENT["prune"]["properties"]["strategy"]["enum"]) == set(STRATEGIES)
    assert set(EXPERIMENT["prune"]["properties"]["mode"]["enum"]) == set(PRUNE_MODES)
    assert set(EXPERIMENT["prune"]["properties"]["exclude"]["items"]["enum"]) == set(LAYER_KINDS)
    assert set(EXPERIMENT["controls"]["items"]["enum"]) == set(CONTROLS)


def test_every_key_is_described():
    def walk(node, path):
        for key, sub in node.get("properties", {}).items():
            assert sub.get("description"), f"{path}.{key} has no description"
            walk(sub, f"{path}.{key}")

    walk(SCHEMA, "config")
    walk(SCHEMA["$defs"]["experiment"], "experiment")
