"""Strict hyperparameter specs: unknown keys, wrong types and unknown names are named in the error."""

from __future__ import annotations

from dataclasses import fields

import pytest

from lth.errors import LthError
from lth.experiment import Experiment
from lth.specs import DataSpec, ModelSpec, PruneSpec, TrainSpec, parse_mapping


def test_defaults_are_the_papers():
    assert ModelSpec.from_dict(None) == ModelSpec(name="mlp", hidden=(300, 100), init="glorot_normal")
    t = TrainSpec.from_dict({})
    assert (t.optimizer, t.lr, t.batch_size, t.iterations) == ("adam", 1.2e-3, 60, 50000)
    p = PruneSpec.from_dict("")
    assert (p.strategy, p.rate, p.rate_for("fc"), p.rate_for("conv"), p.rate_for("output")) == (
        "layerwise",
        0.2,
        0.2,
        0.2,
        0.1,
    )
    assert DataSpec.from_dict({}) == DataSpec(dataset="mnist", validation_size=5000, split_seed=0)


def test_yaml_and_json_text_parse_like_mappings():
    from_yaml = ModelSpec.from_dict("{name: mlp, hidden: [8, 4], init: normal, init_std: 0.05}")
    from_json = ModelSpec.from_dict('{"name": "mlp", "hidden": [8, 4], "init": "normal", "init_std": 0.05}')
    from_map = ModelSpec.from_dict({"name": "mlp", "hidden": [8, 4], "init": "normal", "init_std": 0.05})
    assert from_yaml == from_json == from_map
    assert from_yaml.hidden == (8, 4)
    assert from_yaml.to_dict() == {"name": "mlp", "hidden": [8, 4], "init": "normal", "init_std": 0.05, "dropout": 0.0}
    assert ModelSpec.from_dict(from_yaml.to_dict()) == from_yaml  # canonical form round-trips


def test_ints_are_accepted_as_floats():
    spec = TrainSpec.from_dict({"lr": 1, "milestones": [10, 20]})
    assert spec.lr == 1.0 and isinstance(spec.lr, float)
    assert spec.milestones == (10, 20)


def test_unknown_key_names_key_and_allowed_keys():
    with pytest.raises(LthError) as err:
        TrainSpec.from_dict({"learning_rate": 0.1}, "train")
    msg = str(err.value)
    assert "train.learning_rate" in msg and "unknown key" in msg
    for key in ("batch_size", "iterations", "lr", "optimizer", "warmup", "milestones"):
        assert key in msg
    with pytest.raises(LthError, match=r"model\.depth: unknown key \(allowed: dropout, hidden, init, init_std, name\)"):
        ModelSpec.from_dict({"depth": 3}, "model")
    with pytest.raises(LthError, match=r"prune\.rates: unknown key .*output_rate"):
        PruneSpec.from_dict("{rates: 0.2}", "prune")


@pytest.mark.parametrize(
    "cls, data, pattern",
    [
        (TrainSpec, {"lr": "fast"}, r"train\.lr: expected a number, got 'fast'"),
        (TrainSpec, {"batch_size": 6.5}, r"train\.batch_size: expected an integer"),
        (TrainSpec, {"iterations": True}, r"train\.iterations: expected an integer"),
        (TrainSpec, {"milestones": 100}, r"train\.milestones: expected a list"),
        (TrainSpec, {"milestones": [1, "x"]}, r"train\.milestones: expected an integer"),
        (ModelSpec, {"hidden": 300}, r"model\.hidden: expected a list"),
        (ModelSpec, {"name": 3}, r"model\.name: expected a string"),
        (PruneSpec, {"output_rate": "half"}, r"prune\.output_rate: expected a number"),
        (DataSpec, {"validation_size": "5k"}, r"data\.validation_size: expected an integer"),
    ],
)
def test_wrong_type_names_the_key(cls, data, pattern):
    where = {TrainSpec: "train", ModelSpec: "model", PruneSpec: "prune", DataSpec: "data"}[cls]
    with pytest.raises(LthError, match=pattern):
        cls.from_dict(data, where)


def test_optional_keys_accept_null():
    assert PruneSpec.from_dict("{output_rate: null}").output_rate is None


@pytest.mark.parametrize(
    "cls, data, pattern",
    [
        (
            ModelSpec,
            {"name": "resnet99"},
            r"model\.name: unknown value 'resnet99' \(allowed: conv2, conv4, conv6, mlp, resnet20, vgg16, vgg19\)",
        ),
        (
            ModelSpec,
            {"init": "xavier"},
            r"model\.init: unknown value 'xavier' \(allowed: glorot_normal, kaiming_normal, normal\)",
        ),
        (TrainSpec, {"optimizer": "rmsprop"}, r"train\.optimizer: unknown value 'rmsprop' \(allowed: adam, sgd\)"),
        (PruneSpec, {"strategy": "random"}, r"prune\.strategy: unknown value 'random' \(allowed: global, layerwise\)"),
        (
            DataSpec,
            {"dataset": "imagenet"},
            r"data\.dataset: unknown value 'imagenet' \(allowed: cifar10, cifar10_subset, fashion_mnist, mnist, xor\)",
        ),
    ],
)
def test_unknown_names_list_allowed_values(cls, data, pattern):
    where = {TrainSpec: "train", ModelSpec: "model", PruneSpec: "prune", DataSpec: "data"}[cls]
    with pytest.raises(LthError, match=pattern):
        cls.from_dict(data, where)


@pytest.mark.parametrize(
    "cls, data, pattern",
    [
        (TrainSpec, {"lr": 0}, r"train\.lr: must be positive"),
        (TrainSpec, {"batch_size": -1}, r"train\.batch_size: must be positive"),
        (TrainSpec, {"milestones": [20, 10]}, r"train\.milestones: must be increasing"),
        (TrainSpec, {"momentum": 1.0}, r"momentum"),
        (PruneSpec, {"rate": 1.0}, r"prune\.rate: must be in \[0, 1\)"),
        (PruneSpec, {"output_rate": -0.1}, r"prune\.output_rate: must be in \[0, 1\)"),
        (PruneSpec, {"rounds": -1}, r"prune\.rounds: must be >= 0"),
        (ModelSpec, {"hidden": [8, 0]}, r"model\.hidden: need one or more positive widths"),
        (DataSpec, {"validation_size": -5}, r"data\.validation_size: must be >= 0"),
    ],
)
def test_out_of_range_values_name_the_key(cls, data, pattern):
    where = {TrainSpec: "train", ModelSpec: "model", PruneSpec: "prune", DataSpec: "data"}[cls]
    with pytest.raises(LthError, match=pattern):
        cls.from_dict(data, where)


def test_parse_mapping_rejects_non_mappings_and_bad_yaml():
    assert parse_mapping(None, "x") == {} and parse_mapping("", "x") == {}
    with pytest.raises(LthError, match=r"--model: expected a mapping"):
        parse_mapping("[1, 2]", "--model")
    with pytest.raises(LthError, match=r"--model: not valid YAML/JSON") as err:
        parse_mapping("{name: [unclosed", "--model")
    assert "\n" not in str(err.value)


# --- settings without effect ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls, data, pattern",
    [
        (ModelSpec, {"init_std": 0.05}, r"model\.init_std: has no effect with init: glorot_normal"),
        (
            ModelSpec,
            {"init": "kaiming_normal", "init_std": 0.1},
            r"model\.init_std: has no effect with init: kaiming_normal",
        ),
        (TrainSpec, {"momentum": 0.5}, r"train\.momentum: has no effect with optimizer: adam"),
        (TrainSpec, {"optimizer": "sgd", "gamma": 0.5}, r"train\.gamma: has no effect without milestones"),
        (
            PruneSpec,
            {"strategy": "global", "output_rate": 0.1},
            r"prune\.output_rate: has no effect with strategy: global",
        ),
        (PruneSpec, {"strategy": "global", "conv_rate": 0.1}, r"prune\.conv_rate: has no effect with strategy: global"),
        (
            PruneSpec,
            {"exclude": ["output"], "output_rate": 0.1},
            r"prune\.output_rate: has no effect with output layers excluded",
        ),
        (
            PruneSpec,
            {"exclude": ["conv"], "conv_rate": 0.1},
            r"prune\.conv_rate: has no effect with conv layers excluded",
        ),
        (PruneSpec, {"rounds": 0, "rate": 0.2}, r"prune\.rate: has no effect with rounds: 0"),
    ],
)
def test_a_setting_without_effect_is_an_error_naming_it(cls, data, pattern):
    where = {TrainSpec: "train", ModelSpec: "model", PruneSpec: "prune", DataSpec: "data"}[cls]
    with pytest.raises(LthError, match=rf"^{pattern}.*; remove it$"):
        cls.from_dict(data, where)


def test_settings_with_effect_pass_and_the_canonical_form_leaves_out_those_without():
    assert ModelSpec.from_dict({"init": "normal", "init_std": 0.05}).to_dict()["init_std"] == 0.05
    sgd = TrainSpec.from_dict({"optimizer": "sgd", "momentum": 0.5, "milestones": [10], "gamma": 0.5})
    assert (sgd.to_dict()["momentum"], sgd.to_dict()["gamma"]) == (0.5, 0.5)
    cases = {  # spec -> keys its canonical form leaves out
        ModelSpec.from_dict({}): {"init_std"},
        TrainSpec.from_dict({}): {"momentum", "gamma"},
        PruneSpec.from_dict({"strategy": "global", "exclude": ["output"]}): {"output_rate", "conv_rate"},
        PruneSpec.from_dict({"rounds": 0}): {"strategy", "rate", "output_rate", "conv_rate", "mode", "exclude"},
    }
    for spec, left_out in cases.items():
        canonical = spec.to_dict()
        assert {f.name for f in fields(spec)} - set(canonical) == left_out
        assert type(spec).from_dict(canonical) == spec  # and it parses back


@pytest.mark.parametrize("name", ["mlp", "conv2", "conv4", "conv6", "vgg19", "resnet20"])
def test_layer_kinds_are_the_models(name):
    from lth import models

    spec = ModelSpec.from_dict({"name": name})
    shape = (1, 28, 28) if name == "mlp" else (3, 32, 32)
    assert set(spec.layer_kinds()) == set(models.build(spec, shape, 10).prunable_layers().values())


LENET = {"dataset": "mnist", "model": {"name": "mlp"}, "train": {"iterations": 100}}


@pytest.mark.parametrize(
    "extra, pattern",
    [
        (
            {"prune": {"conv_rate": 0.1}},
            r"prune\.conv_rate: has no effect with model 'mlp' \(it has no convolutional layers\)",
        ),
        ({"prune": {"exclude": ["conv"]}}, r"prune\.exclude: has no effect for 'conv' with model 'mlp'"),
        ({"clamp": 2.0}, r"clamp: has no effect without the clamped ablation"),
        ({"clamp": 1.0, "ablations": ["inverse"]}, r"clamp: has no effect without the clamped ablation"),
        ({"prune": {"rounds": 0}, "controls": ["reinit"]}, r"controls: has no effect with prune\.rounds: 0"),
        (
            {"prune": {"rounds": 0}, "ablations": ["finetune"]},
            r"ablations: has no effect for 'finetune' with prune\.rounds: 0",
        ),
    ],
)
def test_an_experiment_setting_without_effect_is_an_error_naming_it(extra, pattern):
    with pytest.raises(LthError, match=rf"^experiments\.x\.{pattern}.*; remove it$"):
        Experiment.from_config("x", {**LENET, **extra})


def test_experiment_settings_with_effect_pass():
    assert (
        Experiment.from_config("x", {**LENET, "model": {"name": "conv2"}, "prune": {"conv_rate": 0.1}}).prune.conv_rate
        == 0.1
    )
    assert Experiment.from_config("x", {**LENET, "clamp": 2.0, "ablations": ["clamped"]}).clamp == 2.0
    assert Experiment.from_config("x", {**LENET, "prune": {"rounds": 0}, "ablations": ["clamped"]}).ablations == (
        "clamped",
    )
