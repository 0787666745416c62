"""The machine's own fp32 matmul rate, the yardstick every benchmark reports against."""

import time

import torch


def matmul_gflops(size=2048, repeats=10):
    """GFLOP/s of a plain torch.mm of two size x size float32 matrices (warm)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9
