"""Batch augmentation on tensors: each image is a padded crop, mirrored or not, and seeded."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lth import data, masks, models
from lth.augment import crop_flip
from lth.errors import LthError
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
    out = crop_flip(x, torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)  # the same draws, in the same order
    offsets = torch.randint(0, 9, (64, 2), generator=g)
    flips = torch.rand(64, generator=g) < 0.5
    assert 0 < int(flips.sum()) < 64
    assert torch.equal(out, reference(x, offsets, flips))


def test_crop_flip_is_seeded():
    x = torch.randn(16, 3, 32, 32)
    a = crop_flip(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, crop_flip(x, torch.Generator().manual_seed(1)))
    assert not torch.equal(a, crop_flip(x, torch.Generator().manual_seed(2)))


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
