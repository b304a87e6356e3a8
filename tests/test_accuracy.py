"""Real accuracy on the real datasets (marked ``data``): the reference networks learn what the
papers report, with lth's data pipeline, initialisation and masked training loop end to end."""

from __future__ import annotations

import pytest

from lth import data, masks, models
from lth.specs import ModelSpec, TrainSpec
from lth.training import train


def trained(file, hidden, spec: TrainSpec, validation_size=5000, seed=0):
    splits = data.load_splits(file, validation_size, 0)
    model_spec = ModelSpec(hidden=hidden, init="glorot_normal")
    model = models.build(model_spec, splits.info.input_shape, splits.info.num_classes)
    models.initialise(model, model_spec, seed)
    return train(model, masks.full_mask(model), splits, spec, order_seed=seed)


@pytest.mark.data
def test_lenet_300_100_on_mnist_reaches_97_percent(mnist_file, accuracy_threads):
    # LTH paper setting: Adam 1.2e-3, batch 60; 5,000 iterations is ~5.5 epochs.
    spec = TrainSpec(optimizer="adam", lr=1.2e-3, batch_size=60, iterations=5000, eval_every=2500)
    result = trained(mnist_file, (300, 100), spec)
    assert result.summary["final_test_accuracy"] >= 0.97, result.summary


@pytest.mark.data
def test_mlp_8_4_on_fashion_mnist_reaches_80_percent(fashion_mnist_file, accuracy_threads):
    iterations = 10 * (60000 - 5000) // 64  # 10 epochs of the 55,000 training examples
    spec = TrainSpec(optimizer="adam", lr=1e-3, batch_size=64, iterations=iterations, eval_every=iterations)
    result = trained(fashion_mnist_file, (8, 4), spec)
    assert result.summary["final_test_accuracy"] >= 0.80, result.summary
