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


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def split_layout(data_dir, folder, split):
    """How a split's folder is laid out, without reading an image: ``classes`` (one
    sub-folder per class: labelled), ``flat`` (image files directly in it: no labels),
    ``missing`` (no such folder) or ``empty``."""
    root = split_dir(data_dir, folder, split)
    if not root.is_dir():
        return "missing"
    entries = list(root.iterdir())
    if any(p.is_dir() for p in entries):
        return "classes"
    if any(p.suffix.lower() in IMAGE_SUFFIXES for p in entries):
        return "flat"
    return "empty"


class FlatImages:
    """The image files directly in a split folder, in name order, without labels."""

    def __init__(self, root, transform=None):
        from torchvision.datasets.folder import default_loader

        self.files = sorted(p for p in Path(root).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self.transform, self.loader = transform, default_loader
        self.classes, self.targets = [], None

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        image = self.loader(str(self.files[index]))
        return (self.transform(image) if self.transform else image), -1
