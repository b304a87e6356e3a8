"""Batch augmentation on tensors: each image is a padded crop, mirrored or not, and seeded."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lth import data, masks, models
from lth.augment import crop_flip, draw, draws
from lth.errors import LthError
from lth.seeds import derive_seed
from lth.specs import ModelSpec, TrainSpec
from lth.training import train


def reference(x, offsets, flips, padding=4):
    """Per-image crop of the zero-padded image, then a left-right flip: the obvious slow version."""
    out = []
    for img, (dy, dx), flip in zip(x, offsets.tolist(), flips.tolist()):
        crop = F.pad(img, (padding,) * 4)[:, dy : dy + img.shape[1], dx : dx + img.shape[2]]
        out.append(crop.flip(2) if flip else crop)
    return torch.stack(out)


def test_crop_flip_equals_per_image_crops_and_flips():
    x = torch.randn(64, 3, 8, 10)
    offsets, flips = draw(64, torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)  # the draws as they were made inside crop_flip, per step
    assert torch.equal(offsets, torch.randint(0, 9, (64, 2), generator=g))
    assert torch.equal(flips, torch.rand(64, generator=g) < 0.5)
    assert 0 < int(flips.sum()) < 64
    assert torch.equal(crop_flip(x, offsets, flips), reference(x, offsets, flips))


def test_draw_is_seeded():
    a = draw(16, torch.Generator().manual_seed(1))
    b = draw(16, torch.Generator().manual_seed(1))
    c = draw(16, torch.Generator().manual_seed(2))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not torch.equal(a[0], c[0])


def test_epoch_draws_equal_the_per_step_draws():
    """An epoch's draws at once are the per-iteration draws (one generator per iteration, seeded by
    the data-order seed and the iteration), stacked: the same values as drawing at every step."""
    order_seed, iterations = 7, range(13, 29)
    seeds = [derive_seed(order_seed, "augment", i) for i in iterations]
    offsets, flips = draws(seeds, 8, torch.device("cpu"))
    assert offsets.shape == (16, 8, 2) and flips.shape == (16, 8)
    for row, i in enumerate(iterations):
        step = draw(8, torch.Generator().manual_seed(derive_seed(order_seed, "augment", i)))
        assert torch.equal(offsets[row], step[0]) and torch.equal(flips[row], step[1])


def old_crop_flip(x, generator, padding=4):
    """crop_flip as it was, drawing its offsets and flips itself at every step (the reference)."""
    offsets = torch.randint(0, 2 * padding + 1, (len(x), 2), generator=generator)
    flips = torch.rand(len(x), generator=generator) < 0.5
    return reference(x, offsets, flips, padding)


def test_augmented_training_is_bit_identical_to_drawing_at_every_step(monkeypatch):
    """Training with an epoch's draws made at once gives the weights of the per-step draws of
    before, also from a start in the middle of an epoch (late rewinding)."""
    import lth.training

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(100, 3, 6, 6, generator=g), torch.randint(0, 4, (100,), generator=g)
    info = data.DatasetInfo("toy", (3, 6, 6), 4, (0.0,) * 3, (1.0,) * 3, 1.0, None)
    splits = data.Splits(data.Split(x, y), data.Split(x[:10], y[:10]), data.Split(x[:10], y[:10]), info)
    spec = TrainSpec(optimizer="sgd", lr=0.05, batch_size=16, iterations=20, eval_every=10, augment=True)
    model_spec = ModelSpec(hidden=(16,))
    weights = []
    for per_step in (False, True):
        if per_step:  # every batch drawn at its own step, as before, through the old crop_flip
            steps = iter(range(7, 20))
            monkeypatch.setattr(lth.training, "crop_flip", lambda batch, *_: old_crop_flip(
                batch, torch.Generator().manual_seed(derive_seed(3, "augment", next(steps)))))
        net = models.build(model_spec, (3, 6, 6), 4)
        models.initialise(net, model_spec, 0)
        weights.append(train(net, masks.full_mask(net), splits, spec, order_seed=3, start_iteration=7).weights)
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def test_augment_refuses_flat_inputs(xor_splits, make_model):
    model = make_model(hidden=(4,), input_shape=(2,), num_classes=2)
    spec = TrainSpec(iterations=2, batch_size=4, augment=True)
    with pytest.raises(LthError, match=r"train\.augment: .*xor"):
        train(model, masks.full_mask(model), xor_splits, spec, order_seed=0)


def test_dropout_and_augmentation_runs_repeat_exactly_and_leave_global_rng_alone():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 1, 6, 6, generator=g), torch.randint(0, 3, (64,), generator=g)
    info = data.DatasetInfo("toy", (1, 6, 6), 3, (0.0,), (1.0,), 1.0, None)
    splits = data.Splits(data.Split(x, y), data.Split(x[:8], y[:8]), data.Split(x[:8], y[:8]), info)
    spec = TrainSpec(iterations=20, batch_size=8, eval_every=10, augment=True)

    model_spec = ModelSpec(hidden=(16,), dropout=0.5)
    nets = [models.build(model_spec, (1, 6, 6), 3) for _ in range(2)]  # (building draws from the global RNG)
    for net in nets:
        models.initialise(net, model_spec, 0)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    first, second = (train(net, masks.full_mask(net), splits, spec, order_seed=3) for net in nets)
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(first.weights[k], second.weights[k]) for k in first.weights)
    assert first.metrics.equals(second.metrics)
