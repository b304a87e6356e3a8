"""Data augmentation on whole batches on the training device: random crop with padding and
horizontal flip (the standard CIFAR-10 recipe of the VGG and ResNet experiments).

The batch is zero-padded once and every image's crop window and flip are read out by a single
gather, so there is no per-sample Python or PIL work. The random offsets and flips come from a
CPU generator the caller seeds (per iteration, from the data-order seed), so augmentation is
identical on every device and iteration k of a run can be reproduced without replaying 0..k-1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def crop_flip(x: torch.Tensor, generator: torch.Generator, padding: int = 4) -> torch.Tensor:
    """Each image of the N×C×H×W batch ``x`` shifted by a random offset in [-padding, padding] in
    both directions (zeros filling in, i.e. the padded crop) and mirrored left-right with
    probability 1/2. Zero is the padding value in normalised units, as in the papers' pipelines
    that pad the normalised tensor."""
    n, c, h, w = x.shape
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(x.device)
    flips = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    padded = F.pad(x, (padding, padding, padding, padding))
    rows = offsets[:, :1] + torch.arange(h, device=x.device)  # n×h
    cols = torch.arange(w, device=x.device)
    cols = offsets[:, 1:] + torch.where(flips[:, None], cols.flip(0), cols)  # n×w, mirrored where flipped
    return padded[
        torch.arange(n, device=x.device)[:, None, None, None],
        torch.arange(c, device=x.device)[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]
