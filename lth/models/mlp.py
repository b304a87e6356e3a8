"""Fully connected ReLU networks of any depth (LeNet-300-100, the 784-8-4-10 ticket net, 2-h-1 XOR)."""

from __future__ import annotations

import math

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, input_shape: tuple[int, ...], hidden: tuple[int, ...], num_classes: int, dropout: float = 0.0):
        super().__init__()
        widths = [math.prod(input_shape), *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.output = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for layer in self.hidden:
            x = self.dropout(torch.relu(layer(x)))
        return self.output(x)

    def prunable_layers(self) -> dict[str, str]:
        layers = {f"hidden.{i}.weight": "fc" for i in range(len(self.hidden))}
        layers["output.weight"] = "output"
        return layers
