"""Images of the selectivity study: which ones (the data file), and batches of them.

The data job (``make_splits``) reads the labels of both splits of the source, draws the
held-out sets and the training subset (balanced over classes, seeded; see
``specs.DataSpec``) and the normalisation, and writes them to a small ``.npz``: indices
only, never pixels. Training and extraction jobs then open the source through the
datasets registry and read batches by index:

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

import hashlib
import math

import numpy as np

from .. import datasets
from ..store.atomic import atomic_path

IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's ImageNet normalisation
IMAGENET_STD = (0.229, 0.224, 0.225)
SPLITS = ("train", "test")


# ---------------------------------------------------------------------------------
# the data file


def _labels_of(spec):
    """{split: labels}, class names, and (array sources) the training images."""
    if spec.source == datasets.IMAGE_FOLDER:
        from ..datasets.imagefolder import dataset

        folders = {s: dataset(spec.data_dir, spec.folder, s) for s in SPLITS}
        if folders["train"].classes != folders["test"].classes:
            raise ValueError(
                f"image folder {spec.folder}: train/ and val/ have different class "
                "folders; both need the same classes"
            )
        labels = {s: np.asarray(f.targets, dtype=np.int64) for s, f in folders.items()}
        return labels, list(folders["train"].classes), None
    train_x, train_y = datasets.load_arrays(spec.source, spec.data_dir, True, spec.download)
    _, test_y = datasets.load_arrays(spec.source, spec.data_dir, False, spec.download)
    return {"train": train_y, "test": test_y}, list(datasets.source(spec.source).classes), train_x


def balanced(labels, available, n, n_classes, rng, what):
    """``n`` indices with ``available`` True, as equal per class as possible (the first
    ``n % n_classes`` classes get one more), in random order; ``n = 0``: all available."""
    if n == 0:
        return rng.permutation(np.flatnonzero(available))
    picked = []
    for c in range(n_classes):
        need = n // n_classes + (1 if c < n % n_classes else 0)
        pool = np.flatnonzero(available & (labels == c))
        if need > len(pool):
            raise ValueError(
                f"{what}: {n} images need {need} of class {c} but only {len(pool)} "
                "are left in its split"
            )
        picked.append(rng.choice(pool, size=need, replace=False))
    return rng.permutation(np.concatenate(picked))


def make_splits(spec):
    """The data file's arrays (see module doc)."""
    labels, classes, train_images = _labels_of(spec)
    n_classes = len(classes)
    rng = np.random.default_rng(spec.seed)
    available = {s: np.ones(len(labels[s]), dtype=bool) for s in SPLITS}
    out = {}
    for name, split, n, key in (
        ("ablate", spec.ablate_split, spec.n_ablate, "ablate.n"),
        ("probe", spec.probe_split, spec.n_probe, "probe.n"),
        ("train", "train", spec.n_train, "n_train"),
    ):
        idx = balanced(
            labels[split], available[split], n, n_classes, rng, f"config key selectivity.data.{key}"
        )
        available[split][idx] = False
        out[f"{name}_idx"] = idx if name != "train" else np.sort(idx)
    if spec.n_bn > len(out["train_idx"]):
        raise ValueError(
            f"config key selectivity.data.n_bn: {spec.n_bn} BatchNorm images but "
            f"the training subset has {len(out['train_idx'])}"
        )
    out["bn_idx"] = rng.permutation(out["train_idx"])[: spec.n_bn]
    if train_images is None:
        mean, std = np.asarray(IMAGENET_MEAN), np.asarray(IMAGENET_STD)
    else:  # per-channel statistics of the training subset, in [0, 1] units
        x = train_images[out["train_idx"]].astype(np.float64) / 255.0
        axes = tuple(range(x.ndim - 1)) if x.ndim == 4 else None
        mean, std = np.atleast_1d(x.mean(axis=axes)), np.atleast_1d(x.std(axis=axes))
    out.update(
        classes=np.asarray(classes, dtype=str),
        mean=mean.astype(np.float32),
        std=std.astype(np.float32),
        probe_split=np.asarray(spec.probe_split),
        ablate_split=np.asarray(spec.ablate_split),
        split_sizes=np.asarray([len(labels[s]) for s in SPLITS], dtype=np.int64),
        labels_digest=np.asarray(_digest(labels)),
    )
    return out


def _digest(labels):
    h = hashlib.sha1()
    for s in SPLITS:
        h.update(np.ascontiguousarray(labels[s], dtype=np.int64).tobytes())
    return h.hexdigest()


def save_splits(path, splits):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **splits)


def load_splits(path):
    with np.load(path, allow_pickle=False) as f:
        out = {k: f[k] for k in f.files}
    for key in ("probe_split", "ablate_split", "labels_digest"):
        out[key] = str(out[key])
    out["classes"] = [str(c) for c in out["classes"]]
    return out


# ---------------------------------------------------------------------------------
# batches


def open_images(splits, spec, which, channels=None):
    """The images of one set: 'train' (training subset), 'bn' (BatchNorm images, eval
    transform), 'probe' or 'ablate'. ``channels``: what the network takes (a gray source
    is repeated to 3 channels for torchvision's ResNets)."""
    split = {
        "train": "train",
        "bn": "train",
        "probe": str(splits["probe_split"]),
        "ablate": str(splits["ablate_split"]),
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
