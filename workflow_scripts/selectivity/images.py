"""Batches of the selectivity study's images, read by index from the source.

- array sources (Fashion-MNIST, MNIST, CIFAR-10): every image in memory as uint8,
  batches normalised on the fly; optional augmentation (4-pixel zero-padded random crop
  + horizontal flip) vectorised per batch;
- image folders (ImageNet and the like): torchvision ``ImageFolder`` read by a
  ``DataLoader`` with ``workers`` processes; training transform RandomResizedCrop +
  horizontal flip, evaluation transform Resize + CenterCrop (torchvision's ImageNet
  recipe).

Random augmentation is a function of (seed, epoch, position in the epoch), never of a
global generator's history, so a run resumed mid-epoch sees exactly the images an
uninterrupted run sees, whatever the number of loader workers.
"""

import math

import numpy as np

from .. import datasets
from .data import SPLITS


def open_images(splits, spec, which, channels=None):
    """The images of one set: 'train' (training subset), 'bn' (BatchNorm images, eval
    transform), 'probe', 'ablate' or 'test' (the regulariser runs' final accuracy). ``channels``: what the network takes (a gray source
    is repeated to 3 channels for torchvision's ResNets)."""
    split = {
        "train": "train",
        "bn": "train",
        "probe": str(splits["probe_split"]),
        "ablate": str(splits["ablate_split"]),
        "test": "test",
    }[which]
    indices = splits[f"{which}_idx"]
    train_transform = which == "train"
    if spec.source == datasets.IMAGE_FOLDER:
        return FolderImages(spec, split, indices, splits, train_transform)
    return ArrayImages(spec, split, indices, splits, train_transform, channels)


def sample_seed(seed, epoch, position):
    """The augmentation seed of one image: a function of where it is, not of history."""
    return (int(seed) * 1_000_003 + int(epoch) * 10_007 + int(position)) % (2**63)


class ArrayImages:
    """A set of images of an array source, in memory (uint8)."""

    def __init__(self, spec, split, indices, splits, train_transform, channels=None):
        import torch

        images, labels = datasets.load_arrays(
            spec.source, spec.data_dir, split == "train", spec.download
        )
        _check_sizes(splits, split, len(labels), spec)
        x = torch.as_tensor(images[indices])
        self.x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()
        self.y = torch.as_tensor(labels[indices], dtype=torch.int64)
        self.mean = torch.as_tensor(splits["mean"]).view(1, -1, 1, 1)
        self.std = torch.as_tensor(splits["std"]).view(1, -1, 1, 1)
        self.channels = channels or self.x.shape[1]
        self.augment = bool(spec.augment) and train_transform

    def __len__(self):
        return len(self.y)

    @property
    def labels(self):
        return self.y

    def batches(self, order, batch_size, start=0, seed=0, epoch=0, workers=0, device="cpu"):
        """(x, y) batches of ``order`` (positions in this set) from batch ``start`` on."""
        import torch

        order = torch.as_tensor(order)
        for b in range(start, math.ceil(len(order) / batch_size)):
            pos = order[b * batch_size : (b + 1) * batch_size]
            x = self.x[pos].float().div_(255.0)
            if self.augment:
                x = self._augment(x, sample_seed(seed, epoch, b * batch_size))
            x = (x - self.mean) / self.std
            if self.channels != x.shape[1]:
                x = x.expand(-1, self.channels, -1, -1)
            yield x.to(device, non_blocking=True), self.y[pos].to(device, non_blocking=True)

    @staticmethod
    def _augment(x, seed, pad=4):
        """4-pixel zero-padded random crop and horizontal flip, one draw per image."""
        import torch
        import torch.nn.functional as F

        gen = torch.Generator().manual_seed(seed)
        n, _, h, w = x.shape
        shift = torch.randint(0, 2 * pad + 1, (n, 2), generator=gen)
        flip = torch.rand(n, generator=gen) < 0.5
        padded = F.pad(x, (pad, pad, pad, pad))
        rows = (shift[:, 0, None] + torch.arange(h))[:, None, :, None].expand(
            n, x.shape[1], h, w + 2 * pad
        )
        out = padded.gather(2, rows)
        cols = shift[:, 1, None] + torch.arange(w)
        cols = torch.where(flip[:, None], cols.flip(1), cols)
        return out.gather(3, cols[:, None, None, :].expand(n, x.shape[1], h, w))


class _Keyed:
    """An ImageFolder whose items are asked for as (index, seed): the transform's random
    draws come from that seed (``fork_rng`` keeps the global generator untouched)."""

    def __init__(self, folder, transform, random):
        self.folder, self.transform, self.random = folder, transform, random

    def __getitem__(self, key):
        import torch

        index, seed = key
        path, label = self.folder.samples[index]
        image = self.folder.loader(path)
        if self.random:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                return self.transform(image), label
        return self.transform(image), label


class FolderImages:
    """A set of images of an ImageFolder tree, read by a DataLoader."""

    def __init__(self, spec, split, indices, splits, train_transform):
        import torch
        from torchvision import transforms as T

        from ..datasets.imagefolder import dataset

        self.folder = dataset(spec.data_dir, spec.folder, split)
        _check_sizes(splits, split, len(self.folder.samples), spec)
        self.indices = np.asarray(indices, dtype=np.int64)
        targets = np.asarray(self.folder.targets, dtype=np.int64)
        self.y = torch.as_tensor(targets[self.indices])
        norm = [T.ToTensor(), T.Normalize(splits["mean"].tolist(), splits["std"].tolist())]
        self.random = bool(spec.augment) and train_transform
        if self.random:
            transform = T.Compose(
                [T.RandomResizedCrop(spec.image_size), T.RandomHorizontalFlip(), *norm]
            )
        else:
            transform = T.Compose([T.Resize(spec.resize), T.CenterCrop(spec.image_size), *norm])
        self.keyed = _Keyed(self.folder, transform, self.random)

    def __len__(self):
        return len(self.indices)

    @property
    def labels(self):
        return self.y

    def batches(self, order, batch_size, start=0, seed=0, epoch=0, workers=0, device="cpu"):
        import torch
        from torch.utils.data import DataLoader

        order = np.asarray(order, dtype=np.int64)
        keys = [
            [
                (int(self.indices[p]), sample_seed(seed, epoch, b * batch_size + i))
                for i, p in enumerate(order[b * batch_size : (b + 1) * batch_size])
            ]
            for b in range(start, math.ceil(len(order) / batch_size))
        ]
        pin = torch.device(device).type == "cuda"
        loader = DataLoader(
            self.keyed,
            batch_sampler=keys,
            num_workers=int(workers),
            pin_memory=pin,
            persistent_workers=False,
        )
        for x, y in loader:
            yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)


def _check_sizes(splits, split, n, spec):
    expected = int(splits["split_sizes"][SPLITS.index(split)])
    if n != expected:
        where = spec.folder if spec.source == datasets.IMAGE_FOLDER else spec.source
        raise ValueError(
            f"the {split} split of {where} has {n} images but the data file was "
            f"made from {expected}: the data changed; delete the data file "
            "(results/selectivity/data/) and rerun"
        )
