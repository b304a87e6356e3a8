"""ResNet-20 for CIFAR-10 (He et al. 2016, section 4.2; the LTH paper calls it "ResNet-18").

A 3×3 convolution with 16 channels, then three stages of three basic blocks (two 3×3
convolutions each, batch norm after every convolution) with 16, 32 and 64 channels, the second
and third stage starting with stride 2; global average pooling and a 64→10 output layer. Where a
block changes shape, its shortcut is a 1×1 convolution with batch norm (option B), as in the
papers' open-source code. About 271K weights (convolutions, shortcuts and the output layer).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

STAGES = (16, 32, 64)
BLOCKS_PER_STAGE = 3


class Block(nn.Module):
    def __init__(self, channels_in: int, channels_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or channels_in != channels_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride=stride, bias=False), nn.BatchNorm2d(channels_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], num_classes: int, stages=STAGES, blocks: int = BLOCKS_PER_STAGE):
        super().__init__()
        self.conv = nn.Conv2d(input_shape[0], stages[0], 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(stages[0])
        layers, channels = [], stages[0]
        for s, width in enumerate(stages):
            for b in range(blocks):
                layers.append(Block(channels, width, stride=2 if s and not b else 1))
                channels = width
        self.blocks = nn.Sequential(*layers)
        self.output = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.output(x.mean(dim=(2, 3)))

    def prunable_layers(self) -> dict[str, str]:
        layers = {name: "conv" for name, p in self.named_parameters() if p.ndim == 4}
        layers["output.weight"] = "output"
        return layers
