"""VGG-19 for CIFAR-10 as in the LTH paper (Figure 2, from Liu et al. 2019).

Sixteen 3×3 convolutions (64, 64 | 128, 128 | 256 ×4 | 512 ×4 | 512 ×4; max-pooling between the
groups), each followed by batch norm and ReLU, then 2×2 average pooling of the final 2×2 map and
one 512→10 output layer: about 20.0M weights, almost all in the convolutions. The convolutions
carry no bias (the batch norm that follows has its own shift).
"""

from __future__ import annotations

import torch
from torch import nn

GROUPS = ((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512, 512, 512, 512))


class VGG(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int, groups=GROUPS):
        super().__init__()
        channels, size = input_shape[0], input_shape[1]
        layers: list[nn.Module] = []
        for g, widths in enumerate(groups):
            if g:
                layers.append(nn.MaxPool2d(2))
                size //= 2
            for out in widths:
                layers += [nn.Conv2d(channels, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU()]
                channels = out
        layers.append(nn.AvgPool2d(size))
        self.features = nn.Sequential(*layers)
        self.output = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.features(x).flatten(1))

    def prunable_layers(self) -> dict[str, str]:
        layers = {f"features.{i}.weight": "conv" for i, m in enumerate(self.features) if isinstance(m, nn.Conv2d)}
        layers["output.weight"] = "output"
        return layers
