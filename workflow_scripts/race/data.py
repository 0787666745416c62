"""Binary image data sets of the race study, built from a labelled image source.

Sources are those of the shared registry (``workflow_scripts.datasets``): ``cifar10``
(the ``cifar-10-batches-py`` pickles), ``fashion_mnist`` and ``mnist`` (idx files).

Preprocessing (the same for every source):
1. grayscale: RGB images are mapped to luma with the ITU-R BT.601 weights
   Y = 0.299 R + 0.587 G + 0.114 B (computed in float64); idx images are already gray.
2. size (``resize``): ``none`` (default) keeps the source's own pixels (28x28 idx: 784,
   CIFAR-10: 1024); ``pad`` zero-pads 28x28 images by 2 pixels on every side to 32x32
   (as LeCun et al. did for LeNet-5; the 240 padded pixels are zero in every image);
   ``bilinear`` resizes to 32x32 (torch.nn.functional.interpolate, align_corners=False).
3. scale: pixel values / 255, so features lie in [0, 1].
4. flatten (row-major).
5. ``preprocess`` (the paper only says "grayscaled and flattened"):
   - ``none``: the [0, 1] features as they are;
   - ``center``: minus the per-pixel mean of the **training subset** (train and test
     alike: the test subset never contributes to the statistics);
   - ``standardize``: centred as above, then divided by the per-pixel standard
     deviation (ddof 0) of the training subset; pixels constant over the training
     subset (std 0) are only centred.
   Statistics in float64; the data file keeps them (``pixel_mean``, ``pixel_std``).
   Centring matters for the paper's cell analysis: on [0, 1] inputs every hyperplane
   through the origin leaves most samples on one side, so Algorithm 1's probes collapse
   into a few gates (docs/studies/race.md measures both).
6. ``inputs``: ``varying`` (default) keeps only the features that vary over the
   training subset (std > 0), in their flat order, and drops the same columns of the
   test subset; ``all`` keeps every feature. A feature constant over the training
   subset carries nothing about the sample (centred, it is zero in every training
   image): its weights get no gradient and stay at their tiny initial values, so they
   are the smallest weights of every neuron, the first that magnitude pruning removes
   and a random component of every weight vector's direction. With 28x28 images
   padded to 32x32 they were 240 of 1024 inputs per neuron (72000 weights at d = 300,
   more than the 61600 that 20 % IMP removes); Fashion-MNIST subsets also leave 0-16
   border pixels blank in every image. On CIFAR-10 every pixel varies: ``varying``
   drops nothing. The data file records the kept columns (``input_index``, into the
   flattened resized image) and the count dropped (meta ``n_inputs_dropped``).

A binary set takes the source classes of ``groups[0]`` as binary class 0 and those of
``groups[1]`` as binary class 1. The train subset has exactly N/2 samples per binary
class, split as evenly as possible over the group's source classes (the first classes
of a group take the remainder), drawn without replacement from the source's training
split by a generator seeded with ``seed``; the test subset is drawn the same way (with
its own seed stream) from the source's test split. Both are shuffled.
"""

import json

import numpy as np
import torch

from ..datasets import load_arrays, source
from ..store.checkpoints import save_checkpoint

LUMA_601 = (0.299, 0.587, 0.114)
SIDE = 32  # the side that ``pad`` and ``bilinear`` bring images to (the paper's CIFAR-10)
RESIZE = ("none", "pad", "bilinear")
INPUTS = ("varying", "all")


# ---------------------------------------------------------------------------------
# preprocessing


def to_features(images, resize="none"):
    """uint8 images -> float32 [n, H*W] in [0, 1] (grayscale, resized, flattened)."""
    if resize not in RESIZE:
        raise ValueError(f"resize must be one of {', '.join(RESIZE)}, got {resize!r}")
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 3:
        x = np.tensordot(x.astype(np.float64), np.asarray(LUMA_601), axes=([-1], [0]))
    elif x.ndim != 3:
        raise ValueError(f"images must be [n, H, W] or [n, H, W, 3], got {x.shape}")
    x = torch.from_numpy(np.asarray(x, dtype=np.float64) / 255.0)
    h, w = x.shape[1:]
    if resize == "pad" and (h, w) != (SIDE, SIDE):
        if h > SIDE or w > SIDE:
            raise ValueError(f"cannot pad {h}x{w} images to {SIDE}x{SIDE}")
        top, left = (SIDE - h) // 2, (SIDE - w) // 2
        x = torch.nn.functional.pad(x, (left, SIDE - w - left, top, SIDE - h - top))
    elif resize == "bilinear" and (h, w) != (SIDE, SIDE):
        x = torch.nn.functional.interpolate(
            x[:, None], size=(SIDE, SIDE), mode="bilinear", align_corners=False
        )[:, 0].clamp(0.0, 1.0)
    return x.reshape(len(x), -1).to(torch.float32)


def varying_inputs(x_train, inputs="varying"):
    """Indices of the features kept (``inputs``: module doc, step 6), int64 [D']."""
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {', '.join(INPUTS)}, got {inputs!r}")
    x = torch.as_tensor(x_train, dtype=torch.float64)
    if inputs == "all":
        return torch.arange(x.shape[1])
    keep = torch.nonzero(x.std(dim=0, unbiased=False) > 0).flatten()
    if len(keep) == 0:
        raise ValueError("every input is constant over the training subset: nothing to learn")
    return keep


PREPROCESS = ("none", "center", "standardize")


def preprocess_features(x_train, x_test, how="none"):
    """(x_train, x_test, stats) with per-pixel statistics of ``x_train`` only (module doc).

    ``stats``: {"pixel_mean": float64 [D], "pixel_std": float64 [D]} of the training
    subset as it was before preprocessing (recorded for every setting)."""
    if how not in PREPROCESS:
        raise ValueError(f"preprocess must be one of {', '.join(PREPROCESS)}, got {how!r}")
    train = torch.as_tensor(x_train, dtype=torch.float64)
    test = torch.as_tensor(x_test, dtype=torch.float64)
    mean = train.mean(dim=0)
    std = train.std(dim=0, unbiased=False)
    if how == "none":
        shift, scale = torch.zeros_like(mean), torch.ones_like(std)
    else:
        shift = mean
        scale = (
            torch.where(std > 0, std, torch.ones_like(std))
            if how == "standardize"
            else torch.ones_like(std)
        )
    out = [((x - shift) / scale).to(torch.float32) for x in (train, test)]
    return out[0], out[1], {"pixel_mean": mean, "pixel_std": std}


SCALE_NOTE = {
    "none": "x / 255 in [0, 1], not centred",
    "center": "x / 255, minus the per-pixel mean of the training subset",
    "standardize": "x / 255, minus the per-pixel mean and divided by the per-pixel std "
    "(ddof 0; constant pixels only centred) of the training subset",
}


def balanced_indices(labels, groups, total, generator):
    """Indices of ``total`` samples, total/2 per binary class, spread evenly over sources.

    Returns (indices, binary labels), shuffled with ``generator``.
    """
    if total % 2:
        raise ValueError(f"a balanced binary set needs an even size, got {total}")
    labels = torch.as_tensor(labels)
    chosen, binary = [], []
    for b, group in enumerate(groups):
        per_class = _split_evenly(total // 2, len(group))
        for source_class, count in zip(group, per_class):
            pool = torch.nonzero(labels == source_class).flatten()
            if count > len(pool):
                raise ValueError(
                    f"source class {source_class} has {len(pool)} samples, {count} needed"
                )
            pick = pool[torch.randperm(len(pool), generator=generator)[:count]]
            chosen.append(pick)
            binary.append(torch.full((count,), b, dtype=torch.int64))
    idx, y = torch.cat(chosen), torch.cat(binary)
    perm = torch.randperm(len(idx), generator=generator)
    return idx[perm], y[perm]


def _split_evenly(total, parts):
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def build_binary_dataset(
    source_name,
    data_dir,
    groups,
    n_train,
    n_test,
    seed,
    resize="none",
    download=False,
    preprocess="none",
    inputs="varying",
):
    """The binary data set as a dict (see module doc); nothing is written."""
    groups = [[int(c) for c in g] for g in groups]
    if len(groups) != 2 or not all(groups):
        raise ValueError(f"groups must be two non-empty lists of source classes, got {groups}")
    if set(groups[0]) & set(groups[1]):
        raise ValueError(f"a source class is in both groups: {groups}")
    out = {}
    for split, n, stream, train in (("train", n_train, 0, True), ("test", n_test, 1, False)):
        images, labels = load_arrays(source_name, data_dir, train, download)
        gen = torch.Generator().manual_seed(_derive_seed(seed, stream))
        idx, y = balanced_indices(labels, groups, n, gen)
        out[f"x_{split}"] = to_features(images[idx.numpy()], resize)
        out[f"y_{split}"] = y
    n_features = out["x_train"].shape[1]
    keep = varying_inputs(out["x_train"], inputs)
    out["x_train"], out["x_test"], stats = preprocess_features(
        out["x_train"][:, keep], out["x_test"][:, keep], preprocess
    )
    out.update(stats)
    out["input_index"] = keep
    names = source(source_name).classes
    out["meta"] = json.dumps(
        {
            "source": source_name,
            "groups": groups,
            "group_names": [[names[c] for c in g] for g in groups],
            "n_train": n_train,
            "n_test": n_test,
            "seed": seed,
            "resize": resize,
            "grayscale": "ITU-R BT.601 luma"
            if source(source_name).image_shape[-1] == 3
            else "source is gray",
            "preprocess": preprocess,
            "scale": SCALE_NOTE[preprocess],
            "inputs": inputs,
            "n_features": len(keep),
            "n_inputs_dropped": n_features - len(keep),
        },
        sort_keys=True,
    )
    return out


def write_binary_dataset(path, spec):
    """Build the data set of a ``specs.DataSpec`` and save it (torch file, atomically)."""
    data = build_binary_dataset(
        spec.source,
        spec.data_dir,
        spec.groups,
        spec.n_train,
        spec.n_test,
        spec.seed,
        spec.resize,
        spec.download,
        spec.preprocess,
        spec.inputs,
    )
    save_checkpoint(path, data)
    return data


def _derive_seed(seed, stream):
    return int(np.random.SeedSequence([int(seed), int(stream)]).generate_state(1)[0])
