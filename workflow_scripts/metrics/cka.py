"""Centred kernel alignment, linear kernel, with a float64 result.

- ``linear_cka(X, Y)``: Kornblith et al. (2019), biased HSIC, on all samples at once:
  ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F) after centring the features (the form for
  features < samples).
- ``MinibatchCKA``: Nguyen et al. (2020): for every minibatch, the Gram matrix K = X X^T of
  each layer's flattened outputs and the unbiased HSIC of every pair; CKA = mean HSIC(K, L)
  / sqrt(mean HSIC(K, K) * mean HSIC(L, L)) over batches. Memory is (batch x batch) per
  layer whatever the feature count (ResNet-50's layer1 at ImageNet size: 802816 features).
  Every batch must have the same size (the unbiased estimator's weights depend on it):
  callers skip a short last batch. A constant layer (zero HSIC with itself) gives NaN.

Two ways to the Gram matrix, the same float64 HSIC arithmetic after it:

- ``gram`` (``precision="float64"``, the reference): X X^T in float64 over feature chunks;
- ``centred_gram`` (``precision="float32"``, the default): the features centred over the
  batch, then X_c X_c^T in float32 (half the cost of float64 products and no float64 copy
  of the features), converted to float64 for the HSIC terms. The unbiased HSIC does not
  change when a constant is added to every sample's features, so centring changes nothing
  but the rounding: it removes the large common mean of ReLU features, whose square would
  otherwise swamp float32's 24 bits. Agrees with the reference to 1e-6 (tests).

Known answer (METHODS.md; tests): np.random.seed(1337); X = randn(100, 10);
Y = randn(100, 10) + X: linear CKA 0.55761, debiased (unbiased HSIC, one batch of 100)
0.51346.
"""

import torch

FEATURE_CHUNK = 65536  # features per float64 Gram update (bounds the float64 copy)
PRECISIONS = ("float32", "float64")


def _centre(x):
    return x - x.mean(dim=0, keepdim=True)


def linear_cka(x, y):
    x = _centre(torch.as_tensor(x, dtype=torch.float64).flatten(1))
    y = _centre(torch.as_tensor(y, dtype=torch.float64).flatten(1))
    num = torch.linalg.matrix_norm(y.T @ x) ** 2
    den = torch.linalg.matrix_norm(x.T @ x) * torch.linalg.matrix_norm(y.T @ y)
    return float(num / den) if den > 0 else float("nan")


def gram(x, chunk=FEATURE_CHUNK):
    """X X^T of the flattened ``x`` [n, ...] in float64, over feature chunks."""
    x = x.flatten(1)
    k = torch.zeros(x.shape[0], x.shape[0], dtype=torch.float64, device=x.device)
    for start in range(0, x.shape[1], chunk):
        part = x[:, start : start + chunk].to(torch.float64)
        k += part @ part.T
    return k


def centred_gram(x):
    """X_c X_c^T of the flattened, batch-centred ``x`` in float32 (``hsic_matrix``
    converts it to float64 once, with the other layers')."""
    x = x.flatten(1).float()
    x = x - x.mean(dim=0, keepdim=True)
    return x @ x.T


def gram_of(x, precision):
    if precision == "float64":
        return gram(x)
    if precision == "float32":
        return centred_gram(x)
    raise ValueError(f"CKA precision must be one of {PRECISIONS}, got {precision!r}")


def hsic_unbiased(k, m):
    """Unbiased HSIC estimator (Song et al. 2012) of two Gram matrices, n > 3."""
    n = k.shape[0]
    if n <= 3:
        raise ValueError(f"unbiased HSIC needs more than 3 samples per batch, got {n}")
    k = k.clone()
    m = m.clone()
    k.fill_diagonal_(0)
    m.fill_diagonal_(0)
    ones = torch.ones(n, 1, dtype=k.dtype, device=k.device)
    trace = torch.sum(k * m)  # trace(K L) for symmetric matrices
    middle = (ones.T @ k @ ones) * (ones.T @ m @ ones) / ((n - 1) * (n - 2))
    last = 2.0 * (ones.T @ k @ m @ ones) / (n - 2)
    return ((trace + middle - last) / (n * (n - 3))).squeeze()


def hsic_matrix(grams):
    """Unbiased HSIC of every pair of Gram matrices [layers, n, n] -> [layers, layers],
    in float64 (float32 Gram matrices are converted here)."""
    g = torch.stack(grams).to(torch.float64)  # a new tensor: the diagonal is zeroed in it
    n = g.shape[-1]
    if n <= 3:
        raise ValueError(f"unbiased HSIC needs more than 3 samples per batch, got {n}")
    g.diagonal(dim1=-2, dim2=-1).zero_()
    flat = g.flatten(1)
    trace = flat @ flat.T
    sums = g.sum(dim=(1, 2))
    rows = g.sum(dim=2)  # K 1, per layer
    middle = sums[:, None] * sums[None, :] / ((n - 1) * (n - 2))
    last = 2.0 * (rows @ rows.T) / (n - 2)
    return (trace + middle - last) / (n * (n - 3))


class MinibatchCKA:
    """Accumulates the HSIC of every pair of layers over equal-sized minibatches."""

    def __init__(self, n_layers, device="cpu"):
        self.total = torch.zeros(n_layers, n_layers, dtype=torch.float64, device=device)
        self.batches = 0
        self.batch_size = None

    def add(self, grams):
        n = grams[0].shape[0]
        if self.batch_size is None:
            self.batch_size = n
        elif n != self.batch_size:
            raise ValueError(f"minibatch CKA needs equal batches: got {n} after {self.batch_size}")
        self.total += hsic_matrix(grams)
        self.batches += 1

    def value(self):
        if not self.batches:
            raise ValueError(
                "minibatch CKA of no batch: the probe set is smaller than one batch "
                "(lower the batch size or add images)"
            )
        h = self.total / self.batches
        d = torch.sqrt(torch.clamp(torch.diagonal(h), min=0))
        den = d[:, None] * d[None, :]
        cka = torch.where(den > 0, h / torch.where(den > 0, den, 1.0), torch.nan)
        return cka
