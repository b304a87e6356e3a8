"""Data augmentation on whole batches on the training device: random crop with padding and
horizontal flip (the standard CIFAR-10 recipe of the VGG and ResNet experiments).

The batch is padded once and every image's crop window and flip are read out by a single gather,
so there is no per-sample Python or PIL work. The padding is black: the normalised value of a zero
pixel in each channel, so a crop equals torchvision's `RandomCrop(32, padding=4)` of the
unnormalised image followed by `Normalize` (the usual torchvision pipeline), not a pad with zeros
after normalisation, which would be the dataset's mean colour. The random offsets and flips come
from a CPU generator the caller seeds (per iteration, from the data-order seed), so augmentation
is identical on every device and iteration k of a run can be reproduced without replaying 0..k-1.
"""

from __future__ import annotations

import torch


def crop_flip(x: torch.Tensor, generator: torch.Generator, fill: torch.Tensor, padding: int = 4) -> torch.Tensor:
    """Each image of the N×C×H×W batch ``x`` shifted by a random offset in [-padding, padding] in
    both directions, ``fill[c]`` filling in channel c (the padded crop), and mirrored left-right
    with probability 1/2. ``fill`` is the normalised black pixel (`lth.data.DatasetInfo.black`)."""
    n, c, h, w = x.shape
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(x.device)
    flips = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    padded = fill.to(x.device, x.dtype).view(1, c, 1, 1).expand(n, c, h + 2 * padding, w + 2 * padding).clone()
    padded[:, :, padding : padding + h, padding : padding + w] = x
    rows = offsets[:, :1] + torch.arange(h, device=x.device)  # n×h
    cols = torch.arange(w, device=x.device)
    cols = offsets[:, 1:] + torch.where(flips[:, None], cols.flip(0), cols)  # n×w, mirrored where flipped
    return padded[
        torch.arange(n, device=x.device)[:, None, None, None],
        torch.arange(c, device=x.device)[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]
