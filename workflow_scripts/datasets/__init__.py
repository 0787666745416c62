"""The image data sets the studies read, by name (a registry, as in open_lth).

Nothing is downloaded at run time unless a study's config says ``download: true``; a
missing data set fails with a ``MissingDatasetError`` that names the folder, the files
and the command that gets them.

| name            | on disk, under ``data_dir``                         | module      |
|-----------------|-----------------------------------------------------|-------------|
| ``mnist``         | ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` | ``idx``       |
| ``fashion_mnist`` | ``FashionMNIST/raw/`` (same files; Debian's dataset-fashion-mnist) | ``idx`` |
| ``cifar10``       | ``cifar-10-batches-py/`` (``data_batch_1..5``, ``test_batch``) | ``cifar`` |
| ``imagefolder``   | ``<folder>/{train,val}/<class>/<image>`` (e.g. ImageNet) | ``imagefolder`` |

This module is metadata only (no torch import): study plans check their configs
against it (class indices, samples per class) before any job runs. ``load_arrays``
imports the reader of the source.
"""

from dataclasses import dataclass

# Where the data sets live is not a hyperparameter: the specs a rule's params carry leave
# it out (moving the files, or building on a cluster where they sit elsewhere, must not
# rerun anything; ids already leave it out), and a job reads it from the config it runs
# under. Snakemake tracks params, not the config, which is what is wanted here.
LOCATION = "data_dir"


def without_location(spec):
    """A data spec (dict) as a rule's params carry it: without ``data_dir``."""
    return {k: v for k, v in spec.items() if k != LOCATION}


def with_location(spec, config):
    """The spec a job resolves: ``data_dir`` from the config the job runs under."""
    return {**spec, LOCATION: str(config.get(LOCATION, "data"))}


@dataclass(frozen=True)
class Source:
    name: str
    folder: str  # under data_dir
    classes: tuple  # class names, index = label
    image_shape: tuple  # (H, W) gray or (H, W, 3)
    train_per_class: tuple  # images per class in the train split
    test_per_class: tuple
    module: str  # reader module in this package

    def per_class(self, split):
        return self.train_per_class if split == "train" else self.test_per_class


FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
SOURCES = {
    "mnist": Source(
        "mnist",
        "MNIST",
        tuple(str(i) for i in range(10)),
        (28, 28),
        (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
        "idx",
    ),
    "fashion_mnist": Source(
        "fashion_mnist",
        "FashionMNIST",
        FASHION_CLASSES,
        (28, 28),
        (6000,) * 10,
        (1000,) * 10,
        "idx",
    ),
    "cifar10": Source(
        "cifar10",
        "cifar-10-batches-py",
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        (32, 32, 3),
        (5000,) * 10,
        (1000,) * 10,
        "cifar",
    ),
}
# ImageFolder trees have no fixed metadata: their classes are the folder names found
IMAGE_FOLDER = "imagefolder"
NAMES = (*SOURCES, IMAGE_FOLDER)


def source(name):
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown data source {name!r}; known: {', '.join(NAMES)}") from None


def load_arrays(name, data_dir, train, download=False):
    """All images (uint8, [n, H, W] or [n, H, W, 3]) and labels (int64 [n]) of one split."""
    import importlib

    reader = importlib.import_module(f"{__name__}.{source(name).module}")
    return reader.load(source(name), data_dir, train, download)
