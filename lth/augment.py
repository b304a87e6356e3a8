"""Data augmentation on whole batches on the training device: random crop with padding and
horizontal flip (the standard CIFAR-10 recipe of the VGG and ResNet experiments).

The batch is padded once and every image's crop window and flip are read out by a single gather,
so there is no per-sample Python or PIL work. The padding is black: the normalised value of a zero
pixel in each channel, so a crop equals torchvision's `RandomCrop(32, padding=4)` of the
unnormalised image followed by `Normalize` (the usual torchvision pipeline), not a pad with zeros
after normalisation, which would be the dataset's mean colour. The random offsets and flips come
from a CPU generator seeded per iteration (from the data-order seed), so augmentation is identical
on every device and iteration k of a run can be reproduced without replaying 0..k-1. The training
loop draws a whole epoch's offsets and flips at once (`draws`) and copies them to the device in
one non-blocking transfer, instead of two blocking copies per step.
"""

from __future__ import annotations

import torch


def draw(n: int, generator: torch.Generator, padding: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """One batch's random crop offsets (n×2, each in [0, 2·padding]) and flips (n, True with
    probability 1/2), in this order from ``generator``."""
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    return offsets, flips


def draws(seeds: list[int], n: int, device: torch.device, padding: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """`draw` for several batches, batch i from a generator seeded with ``seeds[i]``, stacked
    (len×n×2 offsets, len×n flips) and copied to ``device`` at once, without waiting for the copy."""
    offsets, flips = zip(*(draw(n, torch.Generator().manual_seed(seed), padding) for seed in seeds))
    offsets, flips = torch.stack(offsets), torch.stack(flips)
    if device.type == "cuda":  # page-locked host memory is what makes the copy asynchronous
        offsets, flips = offsets.pin_memory(), flips.pin_memory()
    return offsets.to(device, non_blocking=True), flips.to(device, non_blocking=True)


def crop_flip(
    x: torch.Tensor, offsets: torch.Tensor, flips: torch.Tensor, fill: torch.Tensor, padding: int = 4
) -> torch.Tensor:
    """Each image of the N×C×H×W batch ``x`` shifted by a random offset in [-padding, padding] in
    both directions, ``fill[c]`` filling in channel c (the padded crop), and mirrored left-right
    with probability 1/2. ``fill`` is the normalised black pixel (`lth.data.DatasetInfo.black`)."""
    n, c, h, w = x.shape
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
