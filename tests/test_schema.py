"""The config schema and the lth specs describe the same keys and values."""

from dataclasses import fields
from pathlib import Path

import yaml

from lth.data import DATASETS
from lth.experiment import CONTROLS, KEYS
from lth.models import MODELS
from lth.specs import INITIALISERS, LAYER_KINDS, OPTIMIZERS, PRUNE_MODES, STRATEGIES, InstabilitySpec, ModelSpec, PruneSpec, TrainSpec

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
EXPERIMENT = SCHEMA["$defs"]["experiment"]["properties"]


def test_experiment_keys_match():
    assert set(EXPERIMENT) == set(KEYS)


def test_spec_fields_match():
    for key, spec in (("model", ModelSpec), ("train", TrainSpec), ("prune", PruneSpec), ("instability", InstabilitySpec)):
        assert set(EXPERIMENT[key]["properties"]) == {f.name for f in fields(spec)}, key


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
