"""The binary activation cube (time, node, sample), bit-packed: its writer and its reader.

netCDF has no bit type and xarray cannot decode packed bits, so the file stores
``active_bits`` (time, node, sample_byte) uint8: bit j % 8 of byte j // 8 (bitorder
"little") is "sample j activates the node (pre-activation > 0)". One byte holds 8
samples: 12000 samples x 2560 nodes take 3.84 MB per time point, 8x less than int8.
Chunks hold one time point and ``node_chunk`` nodes (``ActivationOptions``: 64), so one
node's (time x sample) slice of a 2560-node cube reads 1/40 of the file. Coordinates of the unpacked cube are in the file too: ``sample`` with
``class`` and ``source_index``, ``node`` with ``layer`` and ``unit``.

    from workflow_scripts.samplesets.activations import read_activations
    act = read_activations(path, node=100)              # DataArray bool (time, sample)
    act = read_activations(path, node=slice(0, 320), time=slice(0, 10))
    act.groupby("class").mean("sample")                 # f per class of node 100 over time

The writer, ``extract_activations``, imports torch when called: reading needs only
h5py, numpy and xarray.
"""

import logging

import h5py
import numpy as np
import xarray as xr

log = logging.getLogger(__name__)

BITORDER = "little"
VARIABLE = "active_bits"


def pack(active):
    """bool [..., n_samples] -> uint8 [..., ceil(n_samples / 8)]."""
    return np.packbits(np.asarray(active, dtype=bool), axis=-1, bitorder=BITORDER)


def unpack(bits, n_samples):
    return np.unpackbits(
        np.asarray(bits, dtype=np.uint8), axis=-1, count=int(n_samples), bitorder=BITORDER
    ).astype(bool)


def read_activations(path, time=slice(None), node=slice(None)):
    """Unpacked activations as a bool DataArray with the cube's coordinates.

    ``time`` and ``node`` are positional indices (int or slice); an int drops the dim.
    Reads only the chunks the selection touches (h5py), so one node is cheap.
    """
    with h5py.File(path, "r") as f:
        var = f[VARIABLE]
        order = _text(var.attrs["bitorder"])
        if order != BITORDER:
            raise ValueError(f"{path}: {VARIABLE} has bitorder {order!r}, expected {BITORDER!r}")
        values = unpack(var[time, node, :], int(np.ravel(var.attrs["n_samples"])[0]))
        steps, nodes = f["time"][time], f["node"][node]
        layer, unit = f["layer"][node], f["unit"][node]
        sample = {
            "sample": f["sample"][:],
            "class": ("sample", f["class"][:]),
            "source_index": ("sample", f["source_index"][:]),
        }
    dims, coords = [], dict(sample)
    for name, sel, value in (("time", time, steps), ("node", node, nodes)):
        if isinstance(sel, int):
            coords[name] = value.item()
        else:
            dims.append(name)
            coords[name] = value
    node_dims = () if isinstance(node, int) else ("node",)
    coords["layer"], coords["unit"] = (node_dims, layer), (node_dims, unit)
    return xr.DataArray(
        values,
        dims=[*dims, "sample"],
        coords=coords,
        name="active",
        attrs={"long_name": "pre-activation > 0 on the validation sample"},
    )


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def write_activations(out, slices, *, n_times, spec, labels, source_index, attrs, node_chunk):
    """Write the cube from ``slices``: (step, packed bits [node, sample_byte]) per time point.

    ``spec``: the run's TrainSpec (node coordinates); ``labels`` / ``source_index``: the
    class and the source image of every sample; ``node_chunk``: nodes per HDF5 chunk
    (``ActivationOptions.node_chunk``).
    """
    from ..store.cube import CubeWriter
    from .extract import STEP, node_coords

    n_samples, n_nodes = len(labels), (spec.depth - 1) * spec.width
    n_bytes = -(-n_samples // 8)
    coords = {
        **node_coords(spec),
        "sample": (("sample",), np.arange(n_samples), {"long_name": "validation sample"}),
        "class": (
            ("sample",),
            np.asarray(labels, dtype=np.int64),
            {"long_name": "class label of the sample"},
        ),
        "source_index": (
            ("sample",),
            np.asarray(source_index, dtype=np.int64),
            {"long_name": "index of the image in the source's train split"},
        ),
        "sample_byte": (
            ("sample_byte",),
            np.arange(n_bytes),
            {"long_name": "byte j // 8 of the packed samples"},
        ),
    }
    variables = {
        VARIABLE: (
            ("time", "node", "sample_byte"),
            "u1",
            {
                "long_name": "pre-activation > 0, bit-packed along samples",
                "n_samples": n_samples,
                "bitorder": BITORDER,
                "description": "bit j % 8 of byte j // 8 is sample j (np.unpackbits(..., axis=-1, "
                "count=n_samples, bitorder='little')); read with "
                "workflow_scripts.samplesets.activations.read_activations",
            },
        )
    }
    with CubeWriter(
        out,
        grow_dim="time",
        grow_dtype="i8",
        sizes={"node": n_nodes, "sample": n_samples, "sample_byte": n_bytes},
        coords=coords,
        variables=variables,
        attrs=attrs,
        expected_length=n_times,
        chunks={VARIABLE: {"node": node_chunk}},
        grow_attrs=STEP,
    ) as cube:
        for step, bits in slices:
            cube.append(step, **{VARIABLE: bits})


def extract_activations(
    checkpoints, data, spec, out, attrs, *, node_chunk, device="cpu", show_progress=True
):
    """The cube of the run whose checkpoint directory is ``checkpoints`` (``network.forward_all``
    makes the forward passes, ``extract.CHUNK`` samples at a time)."""
    import torch

    from ..progress import progress
    from ..store.checkpoints import list_checkpoints, load_steps
    from .extract import CHUNK, _setup
    from .network import forward_all

    net, x, _ = _setup(spec, data, device)
    n_samples, n_nodes = len(data["y_val"]), (spec.depth - 1) * spec.width
    files = list_checkpoints(checkpoints)

    def slices():
        for step, ckpt in progress(
            load_steps(checkpoints),
            total=len(files),
            desc="activations",
            unit="checkpoint",
            enabled=show_progress,
        ):
            net.load_state_dict(ckpt["model"])
            bits = np.empty((n_nodes, -(-n_samples // 8)), dtype=np.uint8)
            with torch.no_grad():
                for start in range(0, n_samples, CHUNK):
                    pre, _ = forward_all(net, x[start : start + CHUNK])
                    # CHUNK is a multiple of 8: each chunk fills whole bytes
                    cols = slice(start // 8, -(-min(start + CHUNK, n_samples) // 8))
                    row = 0
                    for z in pre:
                        bits[row : row + z.shape[1], cols] = pack((z > 0).T.cpu().numpy())
                        row += z.shape[1]
            yield step, bits

    write_activations(
        out,
        slices(),
        n_times=len(files),
        spec=spec,
        labels=data["y_val"],
        source_index=data["val_index"],
        attrs=attrs,
        node_chunk=node_chunk,
    )
    log.info(
        "wrote %s: %d time points x %d nodes x %d samples (packed bits)",
        out,
        len(files),
        n_nodes,
        n_samples,
    )
