"""One forward pass per probe batch for every requested layer and metric.

``measure(model, batches, ...)`` hooks the named modules once (``layers.Taps``); in each
hook the layer's output is reduced at once, before any later in-place operation can touch
it: its units (``layers.unit_activations``) are kept for the batch's class sums, and, for a
CKA layer of a full batch, its Gram matrix is computed (``cka.gram_of``). After the forward
pass the batch's units go into the accumulators of the metrics asked for:

- selectivity: class means with the true labels and with the shuffled labels (noise floor),
  SI, dead units (``selectivity``);
- samplesets: exact per-class counts of active units (``sample_sets.ActiveCounts``);
- cka: the unbiased HSIC of every pair of CKA layers (``cka.MinibatchCKA``), full batches
  only (the estimator needs equal batch sizes);
- accuracy: top-1 on the labelled batches.

Nothing of a batch is kept after its forward pass. The result is a ``Measurement``; the
``datasets`` module turns it into xarray Datasets.
"""

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .cka import MinibatchCKA, gram_of
from .layers import Taps, find_modules, prepare, to_device_layout, unit_activations
from .sample_sets import ActiveCounts
from .selectivity_index import ClassMeans, selectivity


class MissingLabelsError(ValueError):
    pass


@dataclass
class Measurement:
    layers: tuple  # the unit layers, in the order asked for
    units: dict  # layer -> number of units
    n_images: int
    accuracy: float | None = None  # None without labels
    class_sizes: np.ndarray | None = None  # [class]
    selectivity: dict = field(default_factory=dict)  # class_mean, si, si_floor, dead
    counts: np.ndarray | None = None  # [unit, class] int64 (samplesets)
    cka_layers: tuple = ()
    cka: np.ndarray | None = None  # [layer, layer] float64
    cka_batches: int = 0
    loss: float | None = None  # mean of ``loss`` over the labelled images, when given

    def unit_layer(self):
        """The layer of every unit (the units of all layers, concatenated)."""
        return np.repeat(
            np.asarray(self.layers, dtype=object), [self.units[n] for n in self.layers]
        )

    def unit_index(self):
        return np.concatenate([np.arange(self.units[n]) for n in self.layers])


@torch.no_grad()
def measure(
    model,
    batches,
    *,
    n_classes=None,
    layers=(),
    cka_layers=(),
    selectivity_index=True,
    samplesets=False,
    floor_labels=None,
    batch_size=None,
    cka_precision="float32",
    device="cpu",
    channels_last=False,
    loss=None,
):
    """One pass over ``batches`` ((x, y) pairs; y None when unlabelled) -> Measurement.

    ``layers``: unit layers (selectivity, samplesets); ``cka_layers``: layers compared by
    CKA; ``floor_labels``: every image's label in batch order, shuffled (the SI noise
    floor; needed with ``selectivity_index``); ``batch_size``: the size a batch must have
    to count for CKA (default: the first batch's); ``loss``: ``loss(logits, y)`` -> the
    batch's summed loss (e.g. a study's validation loss, from the same pass).
    """
    layers, cka_layers = tuple(layers), tuple(cka_layers)
    modules = find_modules(model, list(dict.fromkeys(layers + cka_layers)))
    model = prepare(model, channels_last)
    acc = _Accumulators(n_classes, layers, cka_layers, selectivity_index, samplesets, device)
    if selectivity_index and layers and floor_labels is None:
        raise ValueError("selectivity needs floor_labels (the shuffled labels)")
    floor = None if floor_labels is None else torch.as_tensor(floor_labels)
    state = {"units": {}, "grams": {}, "full": False, "y": None}

    def on_output(name, output):
        if name in acc.unit_layers:
            if acc.si:
                state["units"][name] = unit_activations(output)
            if acc.samplesets and state["y"] is not None:
                # counted here, before any later in-place operation: no copy, no concat
                acc.count_active(name, output, state["y"])
        if state["full"] and name in acc.cka_index:
            state["grams"][name] = gram_of(output, cka_precision)

    seen, correct, labelled, loss_sum = 0, 0, True, 0.0
    with Taps(modules, on_output) as taps:
        for x, y in batches:
            n = len(x)
            batch_size = batch_size or n
            state.update(units={}, grams={}, full=n == batch_size)
            state["y"] = None if y is None else y.to(device)
            taps.start_pass()
            logits = model(to_device_layout(x.to(device), channels_last))
            if y is None:
                labelled = False
                if acc.needs_labels:
                    raise MissingLabelsError(
                        "selectivity and sample-set statistics need class labels; the "
                        "probe images have none"
                    )
            else:
                y = y.to(device)
                correct += int((logits.argmax(1) == y).sum())
                loss_sum += float(loss(logits, y)) if loss is not None else 0.0
                y_floor = floor[seen : seen + n].to(device) if floor is not None else None
                acc.add_units(state["units"], y, y_floor)
            if state["full"] and acc.cka is not None:
                acc.cka.add([state["grams"][name] for name in cka_layers])
            seen += n
    out = acc.result(seen, correct / seen if labelled and seen else None)
    out.loss = loss_sum / seen if loss is not None and labelled and seen else None
    return out


class _Accumulators:
    def __init__(self, n_classes, layers, cka_layers, si, samplesets, device):
        self.n_classes, self.layers, self.device = n_classes, layers, device
        self.si, self.samplesets = si, samplesets
        self.unit_layers = set(layers) if (si or samplesets) else set()
        self.needs_labels = bool(self.unit_layers)
        if self.needs_labels and not n_classes:
            raise ValueError("selectivity and sample-set statistics need n_classes")
        self.cka_layers = cka_layers
        self.cka_index = {n: i for i, n in enumerate(cka_layers)}
        self.cka = MinibatchCKA(len(cka_layers), device) if cka_layers else None
        self.units, self.offsets, self.active = {}, None, {}
        self.sizes = torch.zeros(n_classes or 0, dtype=torch.int64, device=device)

    def _allocate(self, units):
        self.units = {n: int(units[n].shape[1]) for n in self.layers}
        edges = np.cumsum([0] + [self.units[n] for n in self.layers])
        self.offsets = {n: slice(int(a), int(b)) for n, a, b in zip(self.layers, edges, edges[1:])}
        total = int(edges[-1])
        if self.si:
            self.true = ClassMeans(self.n_classes, total, self.device)
            self.floor = ClassMeans(self.n_classes, total, self.device)

    def count_active(self, name, output, y):
        """Samples of each class on which each unit of ``name`` is active (> 0; a conv
        channel: its spatial mean), from the layer's output as the hook sees it."""
        units = output if output.ndim == 2 else unit_activations(output)
        if name not in self.active:
            self.units[name] = int(units.shape[1])
            self.active[name] = ActiveCounts(self.n_classes, self.units[name], self.device)
        self.active[name].add(units, y)

    def add_units(self, units, y, y_floor):
        if self.n_classes:
            self.sizes += torch.bincount(y, minlength=self.n_classes)
        if not self.si:
            return
        if self.offsets is None:
            self._allocate(units)
        act = torch.cat([units[name] for name in self.layers], dim=1)  # [batch, all units]
        if self.si:  # true and shuffled labels in one float64 product (one-hot^T @ units)
            c = self.n_classes
            onehot = torch.cat([F.one_hot(y, c), F.one_hot(y_floor, c)], dim=1)
            sums = onehot.to(torch.float64).T @ act.to(torch.float64)
            self.true.sums += sums[:c]
            self.floor.sums += sums[c:]
            self.true.count(y)
            self.floor.count(y_floor)

    def result(self, seen, accuracy):
        out = Measurement(self.layers, self.units, seen, accuracy, cka_layers=self.cka_layers)
        if self.n_classes:
            out.class_sizes = self.sizes.cpu().numpy()
        if self.si and self.offsets is not None:
            out.selectivity = selectivity(self.true, self.floor)
        if self.samplesets and self.active:
            out.counts = np.concatenate([self.active[n].value() for n in self.layers])
        if self.cka is not None:
            out.cka = self.cka.value().cpu().numpy()
            out.cka_batches = self.cka.batches
        return out
