"""Linear interpolation instability: exact endpoints, masks kept on the path, the measure, BatchNorm."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
from torch import nn

from lth import masks
from lth.data import Split
from lth.errors import LthError
from lth.instability import (
    alphas,
    error_along_path,
    instability,
    interpolate,
    is_stable,
    recompute_batchnorm,
)
from lth.training import evaluate


def state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.fixture
def xor_pair(make_model, make_pruned_mask):
    """A 2-16-2 XOR model, two different (masked) weight sets and the mask both carry."""
    model = make_model(hidden=(16,), input_shape=(2,), num_classes=2, seed=0)
    a = state(model)
    b = state(make_model(hidden=(16,), input_shape=(2,), num_classes=2, seed=1))
    mask = make_pruned_mask(model, a, 2)
    return model, masks.apply(a, mask), masks.apply(b, mask), mask


def test_alphas_paper_grid():
    grid = alphas(30)
    assert len(grid) == 30 and grid[0] == 0.0 and grid[-1] == 1.0
    assert all(x < y for x, y in zip(grid, grid[1:]))
    assert alphas() == grid
    with pytest.raises(LthError):
        alphas(1)


def test_interpolate_formula_and_buffers():
    a = {"w": torch.tensor([0.0, 2.0]), "n": torch.tensor(3)}
    b = {"w": torch.tensor([4.0, -2.0]), "n": torch.tensor(7)}
    mid = interpolate(a, b, 0.25)
    assert torch.equal(mid["w"], torch.tensor([1.0, 1.0]))
    assert mid["n"].item() == 3 and mid["n"].dtype == a["n"].dtype  # non-float taken from a
    assert torch.equal(interpolate(a, b, 0.0)["w"], a["w"]) and torch.equal(interpolate(a, b, 1.0)["w"], b["w"])
    with pytest.raises(LthError, match="only one"):
        interpolate(a, {"w": b["w"]}, 0.5)


def test_endpoints_reproduce_direct_evaluation_exactly(xor_pair, xor_splits, make_model):
    model, a, b, mask = xor_pair
    splits = {"val": xor_splits.val, "test": xor_splits.test}
    frame = error_along_path(model, a, b, mask, splits, [0.0, 0.5, 1.0])
    assert list(frame.columns) == ["alpha", "split", "loss", "error"]
    assert len(frame) == 6
    probe = make_model(hidden=(16,), input_shape=(2,), num_classes=2, seed=5)
    for alpha, weights in ((0.0, a), (1.0, b)):
        probe.load_state_dict(weights)
        for name, split in splits.items():
            loss, accuracy = evaluate(probe, split)
            row = frame[(frame.alpha == alpha) & (frame.split == name)].iloc[0]
            assert row.loss == loss
            assert row.error == 1.0 - accuracy


def test_identical_networks_have_zero_instability(xor_pair, xor_splits):
    model, a, _, mask = xor_pair
    frame = error_along_path(model, a, {k: v.clone() for k, v in a.items()}, mask, {"test": xor_splits.test}, alphas(7))
    assert frame["error"].nunique() == 1 and frame["loss"].nunique() == 1
    assert instability(frame, "test") == 0.0
    assert instability(frame, "test", metric="loss") == 0.0


def test_mask_is_kept_along_the_path_and_model_restored(make_model, xor_splits):
    """Endpoints given *unmasked*: the path must still zero every pruned weight at every alpha."""
    model = make_model(hidden=(16,), input_shape=(2,), num_classes=2, seed=0)
    a = state(model)
    b = state(make_model(hidden=(16,), input_shape=(2,), num_classes=2, seed=1))
    g = torch.Generator().manual_seed(0)
    mask = masks.random_mask({k: torch.rand(v.shape, generator=g) < 0.3 for k, v in masks.full_mask(model).items()}, g)
    before, params = state(model), dict(model.named_parameters())
    seen = []

    def check(module, inputs):
        seen.append(
            all(bool((params[name][~m] == 0).all()) and bool((params[name][m] != 0).any()) for name, m in mask.items())
        )

    handle = model.register_forward_pre_hook(check)
    model.train()
    try:
        error_along_path(model, a, b, mask, {"val": xor_splits.val}, alphas(5))
    finally:
        handle.remove()
    assert len(seen) == 5 and all(seen)
    assert model.training
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    for alpha in alphas(5):
        w = masks.apply(interpolate(a, b, alpha), mask)
        assert all(bool((w[name][~m] == 0).all()) for name, m in mask.items())


def test_instability_on_handmade_frame():
    frame = pd.DataFrame(
        {
            "alpha": [0.0, 0.5, 1.0, 0.0, 0.5, 1.0],
            "split": ["test"] * 3 + ["train"] * 3,
            "loss": [1.0, 3.0, 2.0, 0.5, 0.4, 0.5],
            "error": [0.10, 0.30, 0.20, 0.05, 0.04, 0.05],
        }
    )
    assert instability(frame, "test") == pytest.approx(0.30 - 0.15)
    assert instability(frame, "test", metric="loss") == pytest.approx(1.5)
    assert instability(frame, "train") == pytest.approx(0.0)  # a dip below the ends is not instability
    assert is_stable(instability(frame, "train")) and not is_stable(instability(frame, "test"))
    assert is_stable(0.02) and not is_stable(0.0201) and not is_stable(math.nan)
    with pytest.raises(LthError, match="no rows"):
        instability(frame, "val")
    with pytest.raises(LthError, match="alpha 1.0"):
        instability(frame[frame.alpha < 1], "test")


def bn_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 2))


def test_recompute_batchnorm_gives_data_mean():
    net = bn_net()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1000, 4, generator=g) * 2 + 5
    split = Split(x, torch.zeros(1000, dtype=torch.long))
    bn = net[1]
    bn.momentum = 0.1
    net.eval()
    assert recompute_batchnorm(net, split, batches=10, batch_size=100) == 1
    with torch.no_grad():
        h = net[0](x)
    assert torch.allclose(bn.running_mean, h.mean(0), atol=1e-5)
    assert torch.allclose(bn.running_var, h.var(0), rtol=0.05)
    assert int(bn.num_batches_tracked) == 10
    assert bn.momentum == 0.1 and not net.training


def test_recompute_batchnorm_equals_torch_cumulative_average_bit_for_bit():
    """The explicit momentum 1/(i+1) gives the same bits as torch's own cumulative average
    (momentum=None), on ResNet-20's 21 batch norms: only the GPU syncs are gone."""
    from lth import models
    from lth.specs import ModelSpec

    spec = ModelSpec(name="resnet20")
    ours, torchs = (models.build(spec, (3, 8, 8), 10) for _ in range(2))
    models.initialise(ours, spec, 0)
    torchs.load_state_dict(ours.state_dict())
    g = torch.Generator().manual_seed(4)
    split = Split(torch.randn(200, 3, 8, 8, generator=g), torch.zeros(200, dtype=torch.long))
    recompute_batchnorm(ours, split, batches=7, batch_size=64, seed=5)
    # the same batches, with torch's cumulative average
    layers = [m for m in torchs.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in layers:
        m.reset_running_stats()
        m.momentum = None
    g = torch.Generator().manual_seed(5)
    order = torch.cat([torch.randperm(200, generator=g) for _ in range(3)])  # recompute_batchnorm's sample
    torchs.train()
    with torch.no_grad():
        for i in range(7):
            torchs(split.x[order[i * 64 : (i + 1) * 64]])
    theirs = torchs.state_dict()
    assert len(layers) == 21
    for name, value in ours.state_dict().items():
        assert torch.equal(value, theirs[name]), name


def test_recompute_batchnorm_is_noop_without_bn(make_model, xor_splits):
    model = make_model(hidden=(8,), input_shape=(2,), num_classes=2)
    before = state(model)
    assert recompute_batchnorm(model, xor_splits.train) == 0
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_path_recomputes_batchnorm_inside_and_keeps_the_endpoints_own():
    a_net, b_net = bn_net(), bn_net()
    with torch.no_grad():
        for p in b_net.parameters():
            p.add_(0.5)
    a, b = state(a_net), state(b_net)
    mask = {
        "0.weight": torch.ones(3, 4, dtype=torch.bool),
        "3.weight": torch.tensor([[1, 0, 1], [0, 1, 1]], dtype=torch.bool),
    }
    g = torch.Generator().manual_seed(2)
    train = Split(torch.randn(512, 4, generator=g) + 1, torch.randint(0, 2, (512,), generator=g))
    test = Split(torch.randn(256, 4, generator=g) + 1, torch.randint(0, 2, (256,), generator=g))
    with pytest.raises(LthError, match="BatchNorm"):
        error_along_path(a_net, a, b, mask, {"test": test}, [0.5])
    a_net.train()
    with torch.no_grad():  # running statistics of its own, as training leaves them
        a_net(train.x[:64] * 2)
    a_net.eval()
    a = state(a_net)
    frame = error_along_path(
        a_net, a, b, mask, {"train": train, "test": test}, [0.0, 0.5, 1.0], bn_batches=4, bn_batch_size=128
    )
    test_loss = frame[frame.split == "test"].set_index("alpha").loss
    probe = bn_net()
    probe.load_state_dict(masks.apply(interpolate(a, b, 0.5), mask))
    recompute_batchnorm(probe, train, 4, 128)
    assert test_loss[0.5] == evaluate(probe, test)[0]
    for alpha, ends in ((0.0, a), (1.0, b)):  # the trained networks as they are: their own statistics
        probe.load_state_dict(masks.apply(ends, mask))
        assert test_loss[alpha] == evaluate(probe, test)[0]
    probe.load_state_dict(masks.apply(a, mask))
    recompute_batchnorm(probe, train, 4, 128)
    assert test_loss[0.0] != evaluate(probe, test)[0]  # (recomputing them would change the ends)
    assert all(torch.equal(v, a[k]) for k, v in a_net.state_dict().items())  # model put back


def test_resnet20_path_recomputes_all_its_batchnorms():
    """The CIFAR ResNet-20 has 21 batch norms (stem, 18 in blocks, 2 shortcuts); all are recomputed
    along the path, and none is in the (global, conv-only) mask."""
    from lth import models
    from lth.specs import ModelSpec, PruneSpec

    spec = ModelSpec(name="resnet20")
    nets = [models.build(spec, (3, 8, 8), 10) for _ in range(2)]
    for seed, net in enumerate(nets):
        models.initialise(net, spec, seed)
    a, b = state(nets[0]), state(nets[1])
    mask = masks.prune(
        nets[0], a, masks.full_mask(nets[0]), PruneSpec(strategy="global", rate=0.5, exclude=("output",))
    )
    assert not any("bn" in name or "shortcut.1" in name for name in mask)
    g = torch.Generator().manual_seed(0)
    train = Split(torch.randn(64, 3, 8, 8, generator=g), torch.randint(0, 10, (64,), generator=g))
    assert recompute_batchnorm(nets[0], train, batches=2, batch_size=32) == 21
    frame = error_along_path(
        nets[0], a, b, mask, {"train": train, "test": train}, [0.0, 0.5, 1.0], bn_batches=2, bn_batch_size=32
    )
    assert len(frame) == 6 and frame["error"].between(0, 1).all()
