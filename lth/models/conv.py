"""Conv-2, Conv-4 and Conv-6 of the LTH paper (Figure 2): VGG-like nets for CIFAR-10.

Blocks of two 3×3 convolutions (padding 1, ReLU) followed by 2×2 max-pooling, with 64, 128 and
256 channels for the first, second and third block (Conv-2 has one block, Conv-4 two, Conv-6
three), then fully connected layers 256-256 (``hidden``) and the 10-way output. Dropout, when
asked for, follows each hidden fully connected layer (the paper's dropout experiments).
"""

from __future__ import annotations

import torch
from torch import nn

BLOCK_CHANNELS = (64, 128, 256)


class ConvNet(nn.Module):
    def __init__(
        self, input_shape: tuple[int, ...], blocks: int, hidden: tuple[int, ...], num_classes: int, dropout: float = 0.0
    ):
        super().__init__()
        channels, height, width = input_shape
        convs = []
        for out in BLOCK_CHANNELS[:blocks]:
            convs += [nn.Conv2d(channels, out, 3, padding=1), nn.Conv2d(out, out, 3, padding=1)]
            channels, height, width = out, height // 2, width // 2
        self.convs = nn.ModuleList(convs)
        widths = [channels * height * width, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.output = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            x = torch.relu(conv(x))
            if i % 2 == 1:
                x = torch.max_pool2d(x, 2)
        x = x.flatten(1)
        for layer in self.hidden:
            x = self.dropout(torch.relu(layer(x)))
        return self.output(x)

    def prunable_layers(self) -> dict[str, str]:
        layers = {f"convs.{i}.weight": "conv" for i in range(len(self.convs))}
        layers.update({f"hidden.{i}.weight": "fc" for i in range(len(self.hidden))})
        layers["output.weight"] = "output"
        return layers
