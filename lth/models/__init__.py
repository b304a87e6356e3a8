"""Model registry: names in the config map to builders here.

Every model exposes `prunable_layers()`, a dict from the name of each weight tensor that carries
a mask to its kind ('fc', 'conv' or 'output'), so pruning rates can follow the papers (output layer at half
rate, convolutions at their own rate). Biases and batch-norm parameters are never pruned.

Models with fully connected hidden layers (``mlp`` and ``conv2/4/6``) take their widths from
``model.hidden`` (default in `lth.specs.HIDDEN`) and optional dropout after each of them; the CIFAR
``vgg16``, ``vgg19`` and ``resnet20`` have neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from lth.errors import LthError
from lth.models.conv import ConvNet
from lth.models.mlp import MLP
from lth.models.resnet import ResNet
from lth.models.vgg import VGG

MODELS: dict[str, Callable[..., nn.Module]] = {
    "mlp": lambda spec, shape, classes: MLP(shape, tuple(spec.hidden), classes, spec.dropout),
    "conv2": lambda spec, shape, classes: ConvNet(shape, 1, tuple(spec.hidden), classes, spec.dropout),
    "conv4": lambda spec, shape, classes: ConvNet(shape, 2, tuple(spec.hidden), classes, spec.dropout),
    "conv6": lambda spec, shape, classes: ConvNet(shape, 3, tuple(spec.hidden), classes, spec.dropout),
    "vgg16": lambda spec, shape, classes: VGG(shape, classes, depth=16),
    "vgg19": lambda spec, shape, classes: VGG(shape, classes, depth=19),
    "resnet20": lambda spec, shape, classes: ResNet(shape, classes),
}


def build(spec, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """Build the (uninitialised) model described by ``spec`` (a `lth.specs.ModelSpec`)."""
    if spec.name not in MODELS:
        raise LthError(f"unknown model '{spec.name}' (known: {', '.join(sorted(MODELS))})")
    if spec.name != "mlp" and len(input_shape) != 3:
        raise LthError(
            f"model '{spec.name}' needs images (channels, height, width), got input shape {tuple(input_shape)}"
        )
    return MODELS[spec.name](spec, tuple(input_shape), num_classes)


def initialise(model: nn.Module, spec, seed: int) -> None:
    """Initialise weights in place from ``seed``: Glorot normal, N(0, std) or Kaiming; biases zero;
    batch norm at scale 1, shift 0 and fresh running statistics.

    Initialisation runs on the CPU with its own generator so that θ₀ is identical whatever the
    device and whatever else consumed random numbers before.
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                weight = module.weight
                cpu = torch.empty(weight.shape)
                if spec.init == "glorot_normal":
                    nn.init.xavier_normal_(cpu, generator=g)
                elif spec.init == "normal":
                    nn.init.normal_(cpu, 0.0, spec.init_std, generator=g)
                elif spec.init == "kaiming_normal":
                    nn.init.kaiming_normal_(cpu, nonlinearity="relu", generator=g)
                else:
                    raise LthError(f"model.init: unknown initialiser '{spec.init}'")
                weight.copy_(cpu)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_parameters()


def init_std(spec, shape: tuple[int, ...]) -> float:
    """Standard deviation of `initialise`'s distribution for a weight of ``shape``.

    Glorot normal: sqrt(2 / (fan_in + fan_out)); normal: ``spec.init_std``; Kaiming normal (ReLU
    gain): sqrt(2 / fan_in); fans as in torch.nn.init (a convolution's count its kernel size).
    The clamped-training ablation bounds each layer's |w| in these units, so one setting means
    the same for every layer whatever its width.
    """
    receptive = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    if spec.init == "glorot_normal":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if spec.init == "normal":
        return spec.init_std
    if spec.init == "kaiming_normal":
        return math.sqrt(2.0 / fan_in)
    raise LthError(f"model.init: unknown initialiser '{spec.init}'")


def clamp_bounds(model: nn.Module, spec, scale: float | None) -> dict[str, float]:
    """Bounds of magnitude-clamped training: per prunable layer, ``scale`` × the standard deviation
    of its initialiser (`init_std`); none without ``scale``."""
    if scale is None:
        return {}
    if scale <= 0:
        raise LthError(f"--clamp must be positive, got {scale}")
    params = dict(model.named_parameters())
    return {name: scale * init_std(spec, tuple(params[name].shape)) for name in model.prunable_layers()}
