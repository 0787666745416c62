"""The dual (kernel) form of the window update (``method: dual``), for small training sets.

Every W1 gradient is a combination of training samples (U = gh^T X_batch), and the
momentum buffer starts at zero, so W1 and its buffer stay
    W1_t = W1_0 + C_w^T X,    buf_t = C_b^T X
with dual coefficients C_w, C_b [N, d] per run. A window's pre-activations are then
X_W W1_s^T = X_W W1_0^T + G[W, :] C_w and X_W buf_s^T = G[W, :] C_b, read from the
training Gram matrix G = X X^T (computed once) and the fixed X W1_0^T: 4 B N d FLOP per
step, where the low-rank update (``lowrank``) spends 8 B D d (its pre-activations and its
materialisation), so the dual form does fewer for N < 2 D (auto picks it for
N <= ``method.DUAL_MAX_N``). The steps inside a window are the low-rank ones
(``lowrank.window_steps``, the same coefficients); the window's end updates the
coefficients instead of W1:
    C_w <- C_w - lr a_K C_b - lr sum_i e_{K-1-i} S_i,    C_b <- m^K C_b + sum_i m^{K-1-i} S_i
with S_i the rows gh_i placed at step i's samples (a window lies within one epoch, so
each sample appears once). W1 and the buffer are formed (``materialise``) only when read:
at a checkpoint, an evaluation or a resume state; the coefficients are the state, so a
resumed run continues bit-identically. Same SGD trajectory as the other methods up to
float32 rounding (tests).
"""

import torch

from .lowrank import coefficients, window_steps


class DualState:
    """The dual coefficients of R stacked runs on shared data (``stacked.BatchedRuns``)."""

    def __init__(self, t):
        self.W0 = t.W1.clone()  # [R, d, D]
        self.XW0 = torch.matmul(t.X, self.W0.transpose(1, 2))  # [R, N, d]
        self.C = torch.zeros(t.R, t.N, 2 * t.d, device=t.X.device)  # [C_w | C_b]
        self.fresh = True  # t.WB holds the materialised W1 and buffer

    def window_update(self, t, idx, k):
        """Advance the runs ``t`` by the ``k`` steps whose samples are ``idx`` [R, kB]."""
        lr, m, d, R, N = t.lr, t.m, t.d, t.R, t.N
        YW = t.Y[idx]
        rows = t.gram[idx]  # [R, kB, N]
        P = torch.bmm(rows, self.C)  # [R, kB, 2d] = [G C_w | G C_b]
        P[..., :d] += torch.gather(self.XW0, 1, idx.unsqueeze(2).expand(-1, -1, d))
        G = torch.gather(rows, 2, idx.unsqueeze(1).expand(-1, idx.shape[1], -1))
        a, e_rows, wB = coefficients(m, k, t.B, P.device)
        GH = window_steps(t, P[..., :d], P[..., d:], G, YW, k, a, e_rows)
        Cw, Cb = self.C[..., :d], self.C[..., d:]
        Cw.add_(Cb, alpha=-lr * a[k])
        Cb.mul_(m**k)
        coef = torch.cat([GH * (-lr * e_rows)[:, None], GH * wB[:, None]], dim=2)
        flat = (idx + N * torch.arange(R, device=idx.device)[:, None]).flatten()
        self.C.view(R * N, 2 * d).index_add_(0, flat, coef.reshape(-1, 2 * d))
        self.fresh = False

    def materialise(self, t):
        """W1 = W1_0 + C_w^T X and buf = C_b^T X into ``t.WB`` (when they are stale)."""
        if self.fresh:
            return
        d = t.d
        t.WB[:, :d] = self.W0
        t.WB[:, d:] = 0
        t.WB.baddbmm_(self.C.transpose(1, 2), t.X.expand(t.R, -1, -1))
        self.fresh = True

    def state(self, r):
        return {"dual_C": self.C[r].cpu().clone(), "dual_W0": self.W0[r].cpu().clone()}

    def load(self, t, states):
        self.W0.copy_(torch.stack([s["dual_W0"] for s in states]).to(self.W0.device))
        self.XW0 = torch.matmul(t.X, self.W0.transpose(1, 2))
        self.C.copy_(torch.stack([s["dual_C"] for s in states]).to(self.C.device))
        self.fresh = False
