"""Probe images of any source of the registry: a seeded subset of one split, balanced over
the classes, with evaluation transforms; read in batches for a measurement pass.

``open_probe(source, folder, split, n, seed, transforms, data_dir, download)``:

- array sources (mnist, fashion_mnist, cifar10): every image of the split in memory as
  uint8; a batch is converted to [0, 1] floats, resized / centre-cropped when asked (bilinear,
  antialiased), normalised, its gray channel repeated when the network takes more;
- ``imagefolder``: a torchvision ``ImageFolder`` (``<folder>/{train,val}/<class>/<image>``)
  read by a DataLoader, with Resize + CenterCrop (torchvision's evaluation recipe),
  ToTensor and Normalize; a split folder holding image files directly (no class folders)
  is read without labels (``labels`` is None: CKA only).

``transforms``: {resize (0: none; imagefolder: shorter side), crop (0: none), mean, std
(empty: no normalisation), channels (0: as stored), flatten (one vector per image, e.g.
for an MLP)}. ``n = 0``: every image of the split. The subset is drawn per class
(``n // C`` each, the first ``n % C`` classes one more) and shuffled, so that every
minibatch mixes the classes.
"""

import math

import numpy as np

from . import IMAGE_FOLDER, load_arrays, source

TRANSFORM_KEYS = ("resize", "crop", "mean", "std", "channels", "flatten")


def balanced(labels, n, n_classes, rng, what="probe"):
    """``n`` indices balanced over classes, shuffled; ``n = 0``: all, shuffled."""
    labels = np.asarray(labels)
    if n == 0:
        return rng.permutation(len(labels))
    picked = []
    for c in range(n_classes):
        need = n // n_classes + (1 if c < n % n_classes else 0)
        pool = np.flatnonzero(labels == c)
        if need > len(pool):
            raise ValueError(
                f"{what}: {n} images need {need} of class {c} but the split has {len(pool)}"
            )
        picked.append(rng.choice(pool, size=need, replace=False))
    return rng.permutation(np.concatenate(picked))


def open_probe(source_name, folder, split, n, seed, transforms, data_dir, download=False):
    rng = np.random.default_rng(seed)
    if source_name == IMAGE_FOLDER:
        return FolderProbe(data_dir, folder, split, n, rng, transforms)
    return ArrayProbe(source_name, split, n, rng, transforms, data_dir, download)


def _finish(x, transforms):
    """Normalise, repeat the channels, flatten: the steps every source shares."""
    import torch

    mean, std = transforms.get("mean") or [], transforms.get("std") or []
    if mean:
        x = (x - torch.as_tensor(mean, dtype=x.dtype).view(1, -1, 1, 1)) / torch.as_tensor(
            std, dtype=x.dtype
        ).view(1, -1, 1, 1)
    channels = int(transforms.get("channels") or 0)
    if channels and x.shape[1] != channels:
        x = x.expand(-1, channels, -1, -1).contiguous()
    if transforms.get("flatten"):
        x = x.flatten(1)
    return x


class ArrayProbe:
    def __init__(self, source_name, split, n, rng, transforms, data_dir, download):
        import torch

        spec = source(source_name)
        images, labels = load_arrays(source_name, data_dir, split == "train", download)
        self.classes = list(spec.classes)
        idx = balanced(labels, n, len(self.classes), rng, f"probe {source_name} {split}")
        x = torch.as_tensor(images[idx])
        self.x = x.unsqueeze(1) if x.ndim == 3 else x.permute(0, 3, 1, 2).contiguous()
        self.labels = torch.as_tensor(labels[idx], dtype=torch.int64)
        self.transforms = dict(transforms)

    def __len__(self):
        return len(self.x)

    def _transform(self, x):
        import torch.nn.functional as F

        x = x.float().div_(255.0)
        size = int(self.transforms.get("resize") or 0)
        if size:
            h, w = x.shape[-2:]
            scale = size / min(h, w)
            x = F.interpolate(
                x,
                size=(round(h * scale), round(w * scale)),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
        crop = int(self.transforms.get("crop") or 0)
        if crop:
            top, left = (x.shape[-2] - crop) // 2, (x.shape[-1] - crop) // 2
            x = x[..., top : top + crop, left : left + crop]
        return _finish(x, self.transforms)

    def batches(self, batch_size, workers=0, device="cpu"):
        for b in range(math.ceil(len(self) / batch_size)):
            sl = slice(b * batch_size, (b + 1) * batch_size)
            yield self._transform(self.x[sl]).to(device), self.labels[sl].to(device)


class FolderProbe:
    def __init__(self, data_dir, folder, split, n, rng, transforms):
        from torchvision import transforms as T

        from .imagefolder import FlatImages, dataset, split_dir, split_layout

        self.transforms = dict(transforms)
        steps = []
        if transforms.get("resize"):
            steps.append(T.Resize(int(transforms["resize"])))
        if transforms.get("crop"):
            steps.append(T.CenterCrop(int(transforms["crop"])))
        steps.append(T.ToTensor())
        transform = T.Compose(steps)
        if split_layout(data_dir, folder, split) == "flat":
            self.folder = FlatImages(split_dir(data_dir, folder, split), transform)
            self.classes, labels = [], None
            idx = rng.permutation(len(self.folder))[: n or None]
        else:
            self.folder = dataset(data_dir, folder, split, transform)
            self.classes = list(self.folder.classes)
            targets = np.asarray(self.folder.targets, dtype=np.int64)
            idx = balanced(targets, n, len(self.classes), rng, f"probe {folder} {split}")
            labels = targets[idx]
        self.indices = np.asarray(idx, dtype=np.int64)
        self.labels = None if labels is None else _tensor(labels)

    def __len__(self):
        return len(self.indices)

    def batches(self, batch_size, workers=0, device="cpu"):
        import torch
        from torch.utils.data import DataLoader, Subset

        loader = DataLoader(
            Subset(self.folder, self.indices.tolist()),
            batch_size=batch_size,
            num_workers=int(workers),
            pin_memory=torch.device(device).type == "cuda",
        )
        for x, y in loader:
            x = _finish(x, self.transforms).to(device, non_blocking=True)
            yield x, (None if self.labels is None else y.to(device, non_blocking=True))


def _tensor(labels):
    import torch

    return torch.as_tensor(labels, dtype=torch.int64)
