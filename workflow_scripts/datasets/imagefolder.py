"""Image folder trees read by torchvision's ``ImageFolder`` (ImageNet and the like).

Layout under ``<data_dir>/<folder>/``: ``train/<class>/<image>`` and
``val/<class>/<image>``, the class folders sorted by name giving the labels (the
layout of ImageNet after the usual validation-set re-sort).
"""

from pathlib import Path

from .errors import MissingDatasetError

SPLITS = {"train": "train", "test": "val"}


def split_dir(data_dir, folder, split):
    return Path(data_dir).absolute() / folder / SPLITS[split]


def dataset(data_dir, folder, split, transform=None):
    """A torchvision ImageFolder over one split (``train`` or ``test`` = ``val/``)."""
    from torchvision.datasets import ImageFolder

    root = split_dir(data_dir, folder, split)
    if not root.is_dir() or not any(p.is_dir() for p in root.iterdir()):
        raise MissingDatasetError(
            f"image folder {folder}",
            root,
            [f"{SPLITS[split]}/<class>/<image files>"],
            f"put the data set's {SPLITS[split]} images in {root}/<class name>/ (one folder "
            "per class, the same class folders in train/ and val/); for ImageNet, unpack "
            "ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar and sort the validation "
            "images into class folders",
        )
    return ImageFolder(str(root), transform=transform)
