"""VGG-16 and VGG-19 for CIFAR-10 with batch norm and an average-pooled linear head.

The LTH paper's VGG-19 (its Figure 2, from Liu et al. 2019) and the LMC paper's VGG-16 (Frankle
et al. 2020, Table 1; its code is open_lth's ``cifar_vgg_16``) differ only in how many 3×3
convolutions each of the five groups holds (`GROUPS`, Simonyan & Zisserman's configurations D and
E); max-pooling separates the groups. Every convolution is followed by batch norm and ReLU; the
final 2×2 map is average-pooled and one 512→10 output layer follows. VGG-16 has 14.7M weights,
VGG-19 20.0M, almost all in the convolutions. The convolutions carry no bias: the batch norm that
follows subtracts the batch mean, so a bias there has no effect (open_lth keeps one; it is left out
here, so no tensor that cannot matter is trained).
"""

from __future__ import annotations

import torch
from torch import nn

# Convolution widths per group, by depth (convolutions + the output layer, as the names count).
GROUPS: dict[int, tuple[tuple[int, ...], ...]] = {
    16: ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
    19: ((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512, 512, 512, 512)),
}


class VGG(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int, depth: int):
        super().__init__()
        channels, size = input_shape[0], input_shape[1]
        layers: list[nn.Module] = []
        for g, widths in enumerate(GROUPS[depth]):
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
