"""The model zoo: parameter counts against the papers, shapes, batch norm, one real training step.

Weight counts are of the prunable weight tensors (convolution and fully connected weights; no
biases, no batch-norm parameters), which is what the papers' tables count. The papers round to
two or three significant figures (4.3M, 2.4M, 14.7M, 20.0M, 274K); the exact counts here are
asserted, and the rounding stated beside each.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lth import data, masks, models
from lth.errors import LthError
from lth.specs import ModelSpec, PruneSpec, TrainSpec
from lth.training import train

CIFAR = (3, 32, 32)
# The papers' pruning: layerwise for Conv-2/4/6, global over the convolutions for VGG and ResNet.
GLOBAL_CONV = PruneSpec(strategy="global", rate=0.2, exclude=("output",))
LAYERWISE = PruneSpec(rate=0.2, conv_rate=0.1)


def build(name, seed=0, **spec):
    s = ModelSpec.from_dict({"name": name, **spec})
    model = models.build(s, CIFAR, 10)
    models.initialise(model, s, seed)
    return model


def weight_count(model) -> int:
    return sum(m.numel() for m in masks.full_mask(model).values())


@pytest.mark.parametrize(
    "name, exact, paper",
    [
        ("conv2", 4_300_992, 4.3e6),  # 1,728 + 36,864 conv; 4,194,304 + 65,536 + 2,560 fc
        ("conv4", 2_425_024, 2.4e6),  # 2.43M rounds to the paper's 2.4M
        ("vgg16", 14_715_584, 14.7e6),  # 14,710,464 conv + 5,120 output; LMC Table 1: 14.7M
        ("vgg19", 20_024_000, 20.0e6),  # 20,018,880 conv + 5,120 output
        ("resnet20", 270_896, 274e3),  # paper 274K: within 1.2% (2.7e5 to two figures)
    ],
)
def test_weight_counts_match_the_papers(name, exact, paper):
    model = build(name)
    assert weight_count(model) == exact
    assert abs(exact - paper) / paper < 0.015


def test_vgg16_count_rounds_to_the_lmc_papers_14_7m():
    """LMC Table 1 gives VGG-16 14.7M weights: 13 convolutions (14,710,464) and the output layer."""
    model = build("vgg16")
    kinds = model.prunable_layers()
    sizes = masks.full_mask(model)
    assert sum(sizes[n].numel() for n in kinds if kinds[n] == "conv") == 14_710_464
    assert sizes["output.weight"].numel() == 5_120
    assert f"{weight_count(model) / 1e6:.1f}M" == "14.7M"


def test_conv6_count_follows_its_architecture_not_the_papers_1_7m():
    """The LTH paper's table gives Conv-6 1.7M weights, but the architecture in the same table
    (64,64,pool,128,128,pool,256,256,pool, FC 256-256-10 on a 4×4×256 map) has 2,261,184:
    1,144,512 in the convolutions and 1,116,672 in the FC layers. We follow the architecture."""
    model = build("conv6")
    kinds = model.prunable_layers()
    by_kind = {
        k: sum(masks.full_mask(model)[n].numel() for n in kinds if kinds[n] == k) for k in ("conv", "fc", "output")
    }
    assert by_kind == {"conv": 1_144_512, "fc": 1_114_112, "output": 2_560}
    assert weight_count(model) == 2_261_184


@pytest.mark.parametrize("name", ["conv2", "conv4", "conv6", "vgg16", "vgg19", "resnet20"])
def test_forward_shape_and_layer_kinds(name):
    model = build(name)
    assert model(torch.randn(2, *CIFAR)).shape == (2, 10)
    kinds = model.prunable_layers()
    params = dict(model.named_parameters())
    assert all(params[n].ndim == (4 if k == "conv" else 2) for n, k in kinds.items())
    assert list(kinds.values()).count("output") == 1
    # Biases and batch-norm parameters are never pruned.
    assert not any(n.endswith("bias") for n in kinds)
    bn = [n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    assert all(not n.startswith(b + ".") for n in kinds for b in bn)
    assert bool(bn) == (name in ("vgg16", "vgg19", "resnet20"))


def test_vgg16_and_vgg19_differ_only_in_convolutions_per_group():
    """VGG-16: 2, 2, 3, 3, 3 convolutions per group (13); VGG-19: 2, 2, 4, 4, 4 (16); each
    followed by batch norm and ReLU, max-pooling between groups, average pooling, 512→10 output."""
    for name, per_group in (("vgg16", (2, 2, 3, 3, 3)), ("vgg19", (2, 2, 4, 4, 4))):
        model = build(name)
        kinds = [type(m).__name__ for m in model.features]
        groups = "".join("c" if k == "Conv2d" else "|" if k == "MaxPool2d" else "" for k in kinds).split("|")
        assert tuple(len(g) for g in groups) == per_group
        assert kinds.count("BatchNorm2d") == kinds.count("ReLU") == sum(per_group)
        assert kinds[-1] == "AvgPool2d" and model.output.in_features == 512
        assert all(m.bias is None for m in model.features if isinstance(m, nn.Conv2d))


def test_kaiming_normal_convolutions_have_std_sqrt_2_over_fan_in():
    """The LMC recipes' initialiser (open_lth's kaiming_normal): N(0, 2 / fan_in), fan_in counting
    the kernel (torch's convention, which open_lth uses)."""
    model = build("vgg16", init="kaiming_normal")
    convs = [m for m in model.features if isinstance(m, nn.Conv2d)]
    for conv in (convs[2], convs[-1]):  # 128←64 (fan_in 576), the last 512←512 (fan_in 4608)
        fan_in = conv.in_channels * 9
        assert conv.weight.std().item() == pytest.approx((2.0 / fan_in) ** 0.5, rel=0.02)
    assert model.output.weight.std().item() == pytest.approx((2.0 / 512) ** 0.5, rel=0.05)


def test_resnet20_shape_changing_blocks_have_projection_shortcuts():
    model = build("resnet20")
    shortcuts = [n for n in model.prunable_layers() if "shortcut" in n]
    assert shortcuts == ["blocks.3.shortcut.0.weight", "blocks.6.shortcut.0.weight"]
    convs = [n for n, k in model.prunable_layers().items() if k == "conv"]
    assert len(convs) == 1 + 18 + 2  # stem, 9 blocks × 2, two 1×1 shortcuts


def test_batchnorm_starts_at_identity_and_init_is_seeded():
    a, b, c = build("resnet20", seed=3), build("resnet20", seed=3), build("resnet20", seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not torch.equal(a.conv.weight, c.conv.weight)
    assert torch.equal(a.bn.weight, torch.ones(16)) and torch.equal(a.bn.bias, torch.zeros(16))
    assert torch.equal(a.bn.running_var, torch.ones(16))


def test_hidden_and_dropout_only_where_the_model_has_fc_hidden_layers():
    assert build("conv2", hidden=[32]).hidden[0].out_features == 32
    assert isinstance(build("conv4", dropout=0.5).dropout, nn.Dropout)
    with pytest.raises(LthError, match=r"model\.hidden: model 'vgg19' has no fully connected hidden layers"):
        ModelSpec.from_dict({"name": "vgg19", "hidden": [10]}, "model")
    with pytest.raises(LthError, match=r"model\.dropout: model 'resnet20' has no fully connected"):
        ModelSpec.from_dict({"name": "resnet20", "dropout": 0.1}, "model")
    with pytest.raises(LthError, match=r"model 'conv2' needs images"):
        models.build(ModelSpec(name="conv2"), (784,), 10)


def test_global_pruning_of_convolutions_only_is_exact():
    """VGG/ResNet recipe: 20% of the surviving conv weights pooled per round, output never pruned."""
    model = build("resnet20")
    spec = GLOBAL_CONV
    weights = dict(model.state_dict())
    conv_total = sum(m.numel() for n, m in masks.full_mask(model).items() if n != "output.weight")
    mask = masks.full_mask(model)
    for r in range(1, 4):
        mask = masks.prune(model, weights, mask, spec)
        kept = sum(int(m.sum()) for n, m in mask.items() if n != "output.weight")
        assert kept == masks.survivors(conv_total, 0.2, r)
        assert bool(mask["output.weight"].all())
    # One-shot to round 3 keeps exactly the same number, pooled over the same layers.
    keep = masks.oneshot_counts(model, spec, 3, weights)
    assert "output.weight" not in keep and sum(keep.values()) == masks.survivors(conv_total, 0.2, 3)


@pytest.mark.data
@pytest.mark.parametrize("name", ["conv2", "conv4", "conv6", "vgg16", "vgg19", "resnet20"])
def test_one_training_step_on_the_cifar_subset(prepared, name):
    splits = data.load_splits(prepared("cifar10_subset"), 16, 0)
    assert splits.train.x.shape[1:] == CIFAR
    model = build(name)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    mask = masks.prune(
        model, before, masks.full_mask(model), GLOBAL_CONV if name in ("vgg16", "vgg19", "resnet20") else LAYERWISE
    )
    spec = TrainSpec(
        optimizer="sgd", lr=0.01, batch_size=8, iterations=1, eval_every=1, eval_batch_size=64, augment=True
    )
    small = data.Splits(splits.train, splits.val, data.Split(splits.test.x[:32], splits.test.y[:32]), splits.info)
    result = train(model, mask, small, spec, order_seed=0)
    params = dict(model.named_parameters())
    changed = [n for n in mask if not torch.equal(params[n].detach(), before[n])]
    assert changed, "one step should change the weights"
    assert all(bool((params[n][~mask[n]] == 0).all()) for n in mask)  # pruned weights exactly zero
    assert set(result.metrics["split"]) == {"val", "test"}
