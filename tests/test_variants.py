"""The variant table (lth/variants.py) is the one list of variants: everything that names them
derives from it or, where it cannot (the YAML schema, the report), agrees with it here."""

from __future__ import annotations

from pathlib import Path

import yaml

from lth import controls, variants
from lth.experiment import Experiment

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
EXPERIMENT = SCHEMA["$defs"]["experiment"]["properties"]


def test_schema_allows_exactly_the_tables_controls_and_ablations():
    assert tuple(EXPERIMENT["controls"]["items"]["enum"]) == variants.CONTROLS
    assert tuple(EXPERIMENT["ablations"]["items"]["enum"]) == variants.ABLATIONS
    for name in (*variants.CONTROLS, *variants.ABLATIONS):  # each is described for the user
        assert name in EXPERIMENT["controls"]["description"] + EXPERIMENT["ablations"]["description"], name


def test_control_registry_matches_the_table():
    assert tuple(controls.CONTROLS) == variants.CONTROLS


def test_control_choices_of_the_cli_come_from_the_registry():
    from lth.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    kind = next(a for a in sub.choices["control"]._actions if a.dest == "kind")
    assert tuple(kind.choices) == variants.CONTROLS


def test_an_experiment_with_everything_trains_every_variant_of_the_table():
    exp = Experiment.from_config(
        "e",
        {
            "dataset": "mnist",
            "model": {"name": "mlp", "hidden": [10]},
            "prune": {"rounds": 1, "mode": "both"},
            "controls": list(variants.CONTROLS),
            "ablations": list(variants.ABLATIONS),
        },
    )
    assert set(exp.variants(1)) == set(variants.ORDER)


def test_every_variant_has_a_style_and_a_role():
    assert list(variants.STYLE) == list(variants.ORDER)
    for variant in variants.VARIANTS:
        assert variant.role in variants.ROLES and variant.label and variant.style.get("color")
        assert (variant.family is None) == (variant.role == "control")  # controls take the ticket's mask


def test_workflow_wildcards_derive_from_the_table():
    """No hand-written list of variant names in the rules: the wildcard patterns join the table's."""
    common = (REPO / "workflow/rules/common.smk").read_text()
    for pattern in ("ORDER", "CONTROLS", "REWOUND", "FAMILIES"):
        assert f'"|".join(variants.{pattern})' in common
    for path in (REPO / "workflow/rules").glob("*.smk"):
        assert "reinit|" not in path.read_text() and "|clamped" not in path.read_text(), path.name
