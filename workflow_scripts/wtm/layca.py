"""Layca (Carbonnelle & De Vleeschouwer, "Layer rotation", 2019) as a torch optimizer.

Not in PyTorch; the reference implementation is Keras-only, so it is written here.
For every weight tensor p (ndim >= 2) with base step s (the gradient, plus momentum):
  1. n0 = ||p||                         (Frobenius norm of the whole tensor)
  2. s <- s - (<s, p> / n0^2) p         (keep only the rotational part)
  3. s <- s * n0 / ||s||                (skip when ||s|| ~ 0)
  4. p <- p - lr * s
  5. p <- p * n0 / ||p||                (restore the norm)
lr is thus a rotation rate (about atan(lr) radians per step). Tensors with ndim < 2
(biases) get a plain SGD step. A 1x1 weight cannot rotate (step 2 removes all of s).
"""

import torch


class Layca(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.0, eps=1e-12):
        if lr <= 0:
            raise ValueError(f"Layca lr must be > 0, got {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"Layca momentum must be in [0, 1), got {momentum}")
        super().__init__(params, dict(lr=lr, momentum=momentum, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, eps = group["lr"], group["momentum"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                s = p.grad
                if momentum:
                    buf = self.state[p].get("momentum_buffer")
                    if buf is None:
                        buf = self.state[p]["momentum_buffer"] = s.clone()
                    else:
                        buf.mul_(momentum).add_(s)
                    s = buf
                if p.ndim < 2:
                    p.add_(s, alpha=-lr)
                    continue
                n0 = p.norm()
                if n0 <= eps:
                    continue
                s = s - (torch.sum(s * p) / n0**2) * p
                s_norm = s.norm()
                if s_norm <= eps * n0:
                    continue
                p.add_(s, alpha=-lr * float(n0 / s_norm))
                p.mul_(n0 / p.norm())
        return loss
