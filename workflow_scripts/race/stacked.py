"""The race network trained as a stack of runs in one process (batched matmuls).

Network (paper, Section 5): x in R^1024 -> h = W1 x + b1 (d hidden, ReLU) -> o = W2 a + b2
(2 outputs, softmax cross-entropy). W1 [d, 1024] and W2 [2, d] ~ N(0, sigma_0^2), zero
biases; SGD (lr 0.001, momentum 0.9, dampening 0, no Nesterov, i.e. torch.optim.SGD's
update buf <- m buf + g, p <- p - lr buf) on mini-batches of 4; time t counts SGD steps.
Everything is float32.

Runs that share (N, d, batch size, number of steps) are stacked along a leading run
dimension and trained with batched matmuls; each run keeps its own data order (a
per-run seeded generator draws one permutation of the training set per epoch, batches
are consecutive slices of it; N must be a multiple of the batch size), its own init
(seeded) or given initial weights, and optionally fixed pruning masks.

Two update methods give the same SGD trajectory up to float32 rounding:
- ``direct``: every step computes the W1 gradient (rank ``batch``) and updates the
  momentum buffer and W1 in place. Simple, but every step streams W1 and its buffer
  (2.4 MB per run at d=300) through memory 5-6 times with rank-4 matmuls that run far
  below the machine's peak: on the 2-core CPU this was only 1.2-1.4x faster than a
  plain one-run nn.Module loop (bench/bench_race.py).
- ``lowrank`` (the CPU default without masks): W1's change within a window of K steps
  is a sum of rank-``batch`` outer products whose coefficients follow from the
  momentum recursion. With s the window start, U_j = gh_j^T X_j the W1 gradient of
  step s+j (j = 0..K-1) and m the momentum,
      W_{s+j}   = W_s - lr a_j buf_s - lr sum_{i<j} e_{j-1-i} U_i
      buf_{s+j} = m^j buf_s + sum_{i<j} m^{j-1-i} U_i
  with a_j = sum_{q=1..j} m^q and e_q = sum_{r=0..q} m^r. The data order is known in
  advance, so the window's K*batch samples X_W are gathered once; the pre-activations
  of step j are (W_s X_j^T) - lr a_j (buf_s X_j^T) - lr sum_i e_{j-1-i} gh_i^T (X_i X_j^T),
  i.e. two [d, 1024] x [1024, K*batch] matmuls and a Gram matrix per window plus tiny
  per-step products; at the window's end W and buf are materialised with one
  [d, K*batch] x [K*batch, 1024] matmul each. All big products run near the BLAS peak.
  Masks break the low-rank structure (M * U is not low rank), so masked (IMP) runs use
  ``direct``.
Both match a plain torch.optim.SGD loop to float32 rounding (tests). The loss-drop
phase amplifies rounding-level differences (a 1e-6 relative change of the init grew to
~4e-4 in W1 by the end of the drop), so implementations that differ in summation order
agree to ~1e-6 before the drop and to ~1e-3 after it; results are bit-reproducible for
a fixed method, window and machine.
Window cuts lie on a fixed grid (multiples of ``window``, epoch ends, checkpoint steps),
so the trajectory does not depend on how often resume states are saved.
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch

from .schedule import steps_per_epoch

N_OUT = 2
WEIGHTS = ("W1", "b1", "W2", "b2")


@dataclass
class RunSpec:
    """One run of a stack: seed (init and data order), init std, optional init/masks."""

    seed: int
    sigma0: float
    init: dict | None = None  # W1, b1, W2, b2 (e.g. IMP rewind); overrides seed init
    mask_W1: torch.Tensor | None = None  # bool [d, D]; True = weight kept
    mask_W2: torch.Tensor | None = None  # bool [2, d]
    meta: dict = field(default_factory=dict)


def derive_seed(seed, stream):
    """Independent 32-bit seeds per (seed, stream): 0 = init, 1 = data order."""
    return int(np.random.SeedSequence([int(seed), int(stream)]).generate_state(1)[0])


def init_weights(seed, sigma0, hidden, n_in=1024):
    gen = torch.Generator().manual_seed(derive_seed(seed, 0))
    return {
        "W1": torch.randn(hidden, n_in, generator=gen).mul_(sigma0),
        "b1": torch.zeros(hidden),
        "W2": torch.randn(N_OUT, hidden, generator=gen).mul_(sigma0),
        "b2": torch.zeros(N_OUT),
    }


def order_generator(seed):
    return torch.Generator().manual_seed(derive_seed(seed, 1))


def epoch_order(generator, n):
    """The sample order of one epoch (a permutation of range(n))."""
    return torch.randperm(n, generator=generator)


def tensor_digest(*tensors):
    h = hashlib.sha1()
    for t in tensors:
        if t is not None:
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


class BatchedRuns:
    """R runs of the same shape, stacked; ``advance`` moves them all forward."""

    def __init__(
        self,
        data,
        runs,
        *,
        hidden,
        lr=1e-3,
        momentum=0.9,
        batch_size=4,
        method="auto",
        window=32,
        device="cpu",
    ):
        self.R = len(runs)
        if self.R == 0:
            raise ValueError("no runs to train")
        device = torch.device(device)
        datas = list(data) if isinstance(data, (list, tuple)) else [data] * self.R
        if len(datas) != self.R:
            raise ValueError(f"{len(datas)} data sets for {self.R} runs")
        self.shared = all(d is datas[0] for d in datas)
        keys = ("x_train", "y_train", "x_test", "y_test")
        if self.shared:
            self.X, self.Y, self.Xt, self.Yt = (datas[0][k].to(device) for k in keys)
        else:
            self.X, self.Y, self.Xt, self.Yt = (
                torch.stack([d[k] for d in datas]).to(device) for k in keys
            )
        self.X = self.X.to(torch.float32)
        self.Xt = self.Xt.to(torch.float32)
        self.N, self.D = self.X.shape[-2:]
        self.d, self.B, self.lr, self.m = int(hidden), int(batch_size), float(lr), float(momentum)
        self.spe = steps_per_epoch(self.N, self.B)
        self.window = max(1, int(window))
        self.device = device
        masked = any(r.mask_W1 is not None or r.mask_W2 is not None for r in runs)
        if method == "auto":
            method = "direct" if masked or device.type != "cpu" else "lowrank"
        if method == "lowrank" and masked:
            raise ValueError("masked runs need method='direct' (masks break the low-rank update)")
        if method not in ("direct", "lowrank"):
            raise ValueError(f"unknown method {method!r}")
        self.method = method

        inits = []
        for r in runs:
            w = r.init if r.init is not None else init_weights(r.seed, r.sigma0, self.d, self.D)
            inits.append({k: w[k].to(torch.float32) for k in WEIGHTS})
        for k in WEIGHTS:
            setattr(self, k, torch.stack([w[k] for w in inits]).to(device).contiguous())
        # W1 and its momentum buffer share one [R, 2d, D] tensor, so that the low-rank
        # method reads and updates both with single matmuls.
        self._WB = torch.zeros(self.R, 2 * self.d, self.D, device=device)
        self._WB[:, : self.d] = self.W1
        self.W1 = self._WB[:, : self.d]
        if masked:
            self.mask_W1 = torch.stack(
                [
                    (
                        r.mask_W1
                        if r.mask_W1 is not None
                        else torch.ones(self.d, self.D, dtype=torch.bool)
                    )
                    for r in runs
                ]
            ).to(device)
            self.mask_W2 = torch.stack(
                [
                    (
                        r.mask_W2
                        if r.mask_W2 is not None
                        else torch.ones(N_OUT, self.d, dtype=torch.bool)
                    )
                    for r in runs
                ]
            ).to(device)
            self._mask_f1 = self.mask_W1.to(torch.float32)
            self._mask_f2 = self.mask_W2.to(torch.float32)
            self.W1.mul_(self._mask_f1)
            self.W2.mul_(self._mask_f2)
        else:
            self.mask_W1 = self.mask_W2 = None
        self.bufs = {k: torch.zeros_like(getattr(self, k)) for k in WEIGHTS if k != "W1"}
        self.bufs["W1"] = self._WB[:, self.d :]
        self.gram = None
        if self.method == "lowrank" and self.shared and self.N <= 8192:
            self.gram = self.X @ self.X.T  # [N, N]: window Gram blocks are gathered from it
        self.gens = [order_generator(r.seed) for r in runs]
        self.order = None  # [R, N] permutation of the current epoch
        self.pos = 0  # batches of the current epoch already used
        self.step = 0
        self._ar = torch.arange(self.R, device=device)

    # -- state ---------------------------------------------------------------------

    def weights(self, r):
        return {k: getattr(self, k)[r].detach().cpu().clone() for k in WEIGHTS}

    def run_state(self, r):
        state = {f"buf_{k}": self.bufs[k][r].cpu().clone() for k in WEIGHTS}
        state.update(self.weights(r))
        state.update(
            step=self.step,
            pos=self.pos,
            gen=self.gens[r].get_state(),
            has_order=self.order is not None,
        )
        state["order"] = (
            self.order[r].cpu().clone()
            if self.order is not None
            else torch.zeros(0, dtype=torch.int64)
        )
        return state

    def load_run_states(self, states):
        steps = {int(s["step"]) for s in states}
        if len(steps) != 1:
            raise ValueError(f"resume states of one stack disagree on the step: {steps}")
        for k in WEIGHTS:
            getattr(self, k).copy_(torch.stack([s[k] for s in states]).to(self.device))
            self.bufs[k].copy_(torch.stack([s[f"buf_{k}"] for s in states]).to(self.device))
        for gen, s in zip(self.gens, states):
            gen.set_state(s["gen"])
        self.step, self.pos = int(states[0]["step"]), int(states[0]["pos"])
        self.order = (
            torch.stack([s["order"] for s in states]).to(self.device)
            if bool(states[0]["has_order"])
            else None
        )

    # -- training ------------------------------------------------------------------

    def advance(self, n_steps):
        """Train ``n_steps`` SGD steps; windows are cut at epoch ends and the window grid."""
        while n_steps > 0:
            if self.order is None or self.pos == self.spe:
                self.order = torch.stack([epoch_order(g, self.N) for g in self.gens]).to(
                    self.device
                )
                self.pos = 0
            k = min(n_steps, self.spe - self.pos, self.window - self.step % self.window)
            idx = self.order[:, self.pos * self.B : (self.pos + k) * self.B]  # [R, kB]
            if self.method == "lowrank":
                self._window_lowrank(idx, k)
            else:
                for j in range(k):
                    self._step_direct(idx[:, j * self.B : (j + 1) * self.B])
            self.pos += k
            self.step += k
            n_steps -= k

    def _gather(self, idx):
        if self.shared:
            return self.X[idx], self.Y[idx]
        ar = self._ar[:, None]
        return self.X[ar, idx], self.Y[ar, idx]

    def _head(self, h, yb):
        """Gradients of the mean batch cross-entropy; h: pre-activations [R, B, d]."""
        act = h.clamp_min(0)
        o = torch.baddbmm(self.b2.unsqueeze(1), act, self.W2.transpose(1, 2))
        p = torch.softmax(o, dim=-1)
        p.scatter_add_(2, yb.unsqueeze(2), torch.full(yb.shape + (1,), -1.0, device=p.device))
        go = p.div_(h.shape[1])
        g_W2 = torch.bmm(go.transpose(1, 2), act)
        g_b2 = go.sum(1)
        gh = torch.bmm(go, self.W2).mul_(h > 0)
        return gh, gh.sum(1), g_W2, g_b2

    def _update_small(self, g_b1, g_W2, g_b2):
        lr, m = self.lr, self.m
        for name, g in (("b1", g_b1), ("W2", g_W2), ("b2", g_b2)):
            buf = self.bufs[name]
            buf.mul_(m).add_(g)
            getattr(self, name).add_(buf, alpha=-lr)
        if self.mask_W2 is not None:
            self.W2.mul_(self._mask_f2)

    def _step_direct(self, idx):
        xb, yb = self._gather(idx)
        h = torch.baddbmm(self.b1.unsqueeze(1), xb, self.W1.transpose(1, 2))
        gh, g_b1, g_W2, g_b2 = self._head(h, yb)
        buf = self.bufs["W1"]
        buf.mul_(self.m).add_(torch.bmm(gh.transpose(1, 2), xb))
        self.W1.add_(buf, alpha=-self.lr)
        if self.mask_W1 is not None:
            self.W1.mul_(self._mask_f1)
        self._update_small(g_b1, g_W2, g_b2)

    def _window_lowrank(self, idx, k):
        B, lr, m, d = self.B, self.lr, self.m, self.d
        XW, YW = self._gather(idx)  # [R, kB, D], [R, kB]
        P = torch.bmm(XW, self._WB.transpose(1, 2))  # [R, kB, 2d] = [X W_s^T | X buf_s^T]
        PW, PB = P[..., :d], P[..., d:]
        if self.gram is not None:
            G = self.gram[idx.unsqueeze(2), idx.unsqueeze(1)]  # [R, kB, kB]
        else:
            G = torch.bmm(XW, XW.transpose(1, 2))
        GH = torch.zeros(self.R, k * B, d, device=XW.device)  # rows: gh of each sample
        a = [sum(m**q for q in range(1, j + 1)) for j in range(k + 1)]
        e = [sum(m**r for r in range(q + 1)) for q in range(k)]
        e_rev = torch.tensor(e[::-1], dtype=torch.float32, device=XW.device)  # [e_{k-1}..e_0]
        e_rows = e_rev.repeat_interleave(B)
        for j in range(k):
            c = slice(j * B, (j + 1) * B)
            if j == 0:
                h = PW[:, c].clone()
            else:
                h = torch.add(PW[:, c], PB[:, c], alpha=-lr * a[j])
                # earlier steps i < j weigh e_{j-1-i}: the last j entries of e_rev
                w = e_rows[(k - j) * B :]
                h.baddbmm_(G[:, c, : j * B] * w, GH[:, : j * B], alpha=-lr)
            h.add_(self.b1.unsqueeze(1))  # [R, B, d]
            gh, g_b1, g_W2, g_b2 = self._head(h, YW[:, c])
            GH[:, c] = gh
            self._update_small(g_b1, g_W2, g_b2)
        # materialise: W_{s+k} = W_s - lr a_k buf_s - lr sum e_{k-1-i} U_i,
        #              buf_{s+k} = m^k buf_s + sum m^{k-1-i} U_i   (one matmul for both)
        wB = torch.tensor(
            [m ** (k - 1 - i) for i in range(k)], dtype=torch.float32, device=XW.device
        ).repeat_interleave(B)
        buf = self.bufs["W1"]
        self.W1.add_(buf, alpha=-lr * a[k])
        buf.mul_(m**k)
        coef = torch.cat([GH * (-lr * e_rows)[:, None], GH * wB[:, None]], dim=2)  # [R, kB, 2d]
        self._WB.baddbmm_(coef.transpose(1, 2), XW)

    # -- evaluation ----------------------------------------------------------------

    @torch.no_grad()
    def _logits(self, X, chunk=2048):
        out = []
        for start in range(0, X.shape[-2], chunk):
            xs = X[..., start : start + chunk, :]
            if xs.dim() == 2:  # shared data: one matmul for all runs
                h = xs @ self.W1.reshape(self.R * self.d, self.D).T
                h = h.view(len(xs), self.R, self.d).transpose(0, 1)
            else:
                h = torch.bmm(xs, self.W1.transpose(1, 2))
            a = h.add_(self.b1.unsqueeze(1)).clamp_min_(0)
            out.append(torch.baddbmm(self.b2.unsqueeze(1), a, self.W2.transpose(1, 2)))
        return torch.cat(out, dim=1)  # [R, n, 2]

    @torch.no_grad()
    def evaluate(self):
        """(train loss [R], test accuracy [R]) with the current weights."""
        logits = self._logits(self.X)
        Y = self.Y.expand(self.R, -1) if self.Y.dim() == 1 else self.Y
        logp = torch.log_softmax(logits, dim=-1)
        loss = -logp.gather(2, Y.unsqueeze(2)).squeeze(2).mean(1)
        logits_t = self._logits(self.Xt)
        Yt = self.Yt.expand(self.R, -1) if self.Yt.dim() == 1 else self.Yt
        acc = (logits_t.argmax(-1) == Yt).to(torch.float32).mean(1)
        return loss.cpu(), acc.cpu()
