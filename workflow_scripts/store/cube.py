"""Cubes: self-describing netCDF4/HDF5 files that grow along one dimension (epoch).

Written through h5netcdf, one slice at a time, so peak memory does not depend on
the number of epochs (xarray itself cannot append along a dimension of an existing
file). Read back with ``xarray.open_dataset(path, engine="h5netcdf")`` or ``h5py``.

Why not ``xarray.Dataset.to_netcdf``: it needs the whole cube in memory.
"""

import json
from pathlib import Path

import h5netcdf
import h5py
import numpy as np
import xarray as xr

from .atomic import atomic_path
from .errors import CorruptArtifactError

COMPLETE_ATTR = "trainscope_complete"


class CubeWriter:
    """Write a cube slice by slice along ``grow_dim``; the file appears when complete.

    sizes: fixed dimension sizes (the growing one is added as unlimited).
    coords: name -> (dims, values, attrs) for fixed coordinates.
    variables: name -> (dims, dtype, attrs); dims may include ``grow_dim``.
    attrs: global attributes (dicts/lists are stored as JSON text).
    expected_length: slices expected along ``grow_dim``, when known (the dimension is
        sized once up front instead of resized per slice; trimmed on close).
    chunks: per-variable chunk sizes, name -> {dim: size}, for dims other than
        ``grow_dim`` (default: one slice along ``grow_dim``, the whole of every other dim;
        smaller chunks let a reader fetch e.g. one neuron without reading every slice whole).
    grow_attrs: attributes of the growing coordinate (long_name, units).
    """

    def __init__(
        self,
        path,
        *,
        grow_dim,
        grow_dtype,
        sizes,
        coords,
        variables,
        attrs,
        expected_length=None,
        chunks=None,
        grow_attrs=None,
    ):
        self.path = Path(path)
        self.grow_dim = grow_dim
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        try:
            self._file = h5netcdf.File(tmp, "w")
            self._file.dimensions = {grow_dim: None, **sizes}
            self._grow = self._file.create_variable(grow_dim, (grow_dim,), grow_dtype)
            self._grow.attrs.update(grow_attrs or {})
            for name, (dims, values, var_attrs) in coords.items():
                values = np.asarray(values)
                dtype = h5py.string_dtype() if values.dtype.kind in "US" else values.dtype
                var = self._file.create_variable(name, dims, dtype)
                var[...] = values.astype(object) if values.dtype.kind in "US" else values
                var.attrs.update(var_attrs)
            self._vars = {}
            # CF 'coordinates' attribute: makes xarray show non-index coords (class,
            # pattern, ...) as coordinates of every variable that spans their dims.
            aux = [n for n, (dims, _, _) in coords.items() if tuple(dims) != (n,)]
            for name, (dims, dtype, var_attrs) in variables.items():
                override = (chunks or {}).get(name, {})
                shape = tuple(
                    1
                    if d == grow_dim
                    else min(
                        override.get(d, self._file.dimensions[d].size),
                        self._file.dimensions[d].size,
                    )
                    for d in dims
                )
                var = self._file.create_variable(name, dims, dtype, chunks=shape)
                var.attrs.update(var_attrs)
                linked = [n for n in aux if set(coords[n][0]) <= set(dims)]
                if linked:
                    var.attrs["coordinates"] = " ".join(linked)
                self._vars[name] = var
            for key, value in attrs.items():
                self._file.attrs[key] = _attr_value(value)
            self._allocated = int(expected_length or 0)
            if self._allocated:
                self._file.resize_dimension(grow_dim, self._allocated)
        except BaseException as exc:
            self._abort(exc)
            raise
        self.n = 0

    def append(self, grow_value, **arrays):
        """Add one slice; ``arrays`` holds every variable that has the growing dim."""
        i = self.n
        if i >= self._allocated:
            self._allocated = i + 1
            self._file.resize_dimension(self.grow_dim, self._allocated)
        self._grow[i] = grow_value
        for name, var in self._vars.items():
            if self.grow_dim not in var.dimensions:
                continue
            axis = var.dimensions.index(self.grow_dim)
            index = (slice(None),) * axis + (i,)
            var[index] = arrays[name]
        self.n += 1

    def set(self, name, values):
        """Fill a variable without the growing dim (e.g. a per-neuron summary)."""
        self._vars[name][...] = values

    def close(self):
        if self._allocated != self.n:
            self._file.resize_dimension(self.grow_dim, self.n)
        self._file.attrs[COMPLETE_ATTR] = 1
        self._file.close()
        self._atomic.__exit__(None, None, None)

    def _abort(self, exc):
        if getattr(self, "_file", None) is not None:
            self._file.close()
        self._atomic.__exit__(type(exc), exc, None)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._abort(exc)
        return False


def open_cube(path):
    """Open a cube with xarray; a missing marker or unreadable file names the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cube {path} does not exist")
    try:
        ds = xr.open_dataset(path, engine="h5netcdf")
    except Exception as exc:
        raise CorruptArtifactError(path, f"{type(exc).__name__}: {exc}") from exc
    if ds.attrs.get(COMPLETE_ATTR) != 1:
        ds.close()
        raise CorruptArtifactError(path, "it was not finished by its writer")
    return ds


def standard_attrs(title, study, config, **extra):
    """Global attributes every cube carries: what it is, the resolved config that made
    it (JSON) and the code version."""
    from ..runtime import code_version

    return {
        "title": title,
        "study": study,
        "config": config,
        "code_version": code_version(),
        "Conventions": "CF-1.8",
        "source": "trainscope workflow",
        **extra,
    }


def cube_config(ds):
    """The resolved config stored in a cube's global attrs, as a dict."""
    return json.loads(ds.attrs["config"])


def _attr_value(value):
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True)
    if value is None:
        return "null"
    return value
