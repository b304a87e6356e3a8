"""Batch augmentation on tensors: each image is a crop of the image padded with black, mirrored or
not, and seeded."""

from __future__ import annotations

import pytest
import torch
import torchvision.transforms.functional as TF

from lth import data, masks, models
from lth.augment import crop_flip, draw, draws
from lth.errors import LthError
from lth.seeds import derive_seed
from lth.specs import ModelSpec, TrainSpec
from lth.training import train


def reference(raw, offsets, flips, info, padding=4):
    """Per image, the usual torchvision pipeline: pad the unnormalised (uint8) image with black, crop
    at the drawn offset, flip, then scale to [0, 1] and normalise."""
    out = []
    for img, (dy, dx), flip in zip(raw, offsets.tolist(), flips.tolist()):
        crop = TF.crop(TF.pad(img, [padding], fill=0), dy, dx, img.shape[1], img.shape[2])
        crop = TF.hflip(crop) if flip else crop
        out.append(TF.normalize(crop.float() / info.scale, list(info.mean), list(info.std)))
    return torch.stack(out)


def test_crop_flip_pads_with_black_as_torchvision_does_before_normalising():
    info = data.DATASETS["cifar10"]
    raw = torch.randint(0, 256, (64, 3, 8, 10), dtype=torch.uint8, generator=torch.Generator().manual_seed(4))
    x = data._normalise(raw, info, torch.device("cpu"))  # as load_splits normalises
    black = info.black()
    offsets, flips = draw(64, torch.Generator().manual_seed(5))
    assert 0 < int(flips.sum()) < 64 and (offsets == 0).any() and (offsets == 8).any()
    out = crop_flip(x, offsets, flips, black)
    assert torch.equal(out, reference(raw, offsets, flips, info))
    # Black is not zero after normalisation: padding zeros there (the mean colour) is another crop.
    assert torch.equal(black, (torch.zeros(3) - torch.tensor(info.mean)) / torch.tensor(info.std))
    assert (black < -1.5).all()
    assert not torch.equal(out, crop_flip(x, offsets, flips, torch.zeros(3)))


def test_draw_draws_as_crop_flip_drew_per_step():
    offsets, flips = draw(64, torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)  # the draws as they were made inside crop_flip, per step
    assert torch.equal(offsets, torch.randint(0, 9, (64, 2), generator=g))
    assert torch.equal(flips, torch.rand(64, generator=g) < 0.5)


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


def old_crop_flip(x, generator, fill, padding=4):
    """crop_flip as it was, drawing its offsets and flips itself at every step (the reference)."""
    return crop_flip(x, *draw(len(x), generator, padding), fill, padding)


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
            monkeypatch.setattr(
                lth.training,
                "crop_flip",
                lambda batch, _offsets, _flips, fill: old_crop_flip(
                    batch,
                    torch.Generator().manual_seed(derive_seed(3, "augment", next(steps))),  # noqa: B023
                    fill,
                ),
            )
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
