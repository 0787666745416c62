"""The race network trained as a stack of runs in one process (batched matmuls).

SGD (lr 0.001, momentum 0.9, dampening 0, no Nesterov, i.e. torch.optim.SGD's update
buf <- m buf + g, p <- p - lr buf) on mini-batches of 4; time t counts SGD steps.
Everything is float32. Runs that share (N, d, batch size, number of steps) are stacked
along a leading run dimension and trained with batched matmuls; each run keeps its own
data order and init (``runs``), or given initial weights, and optionally fixed pruning
masks.

Three update methods give the same SGD trajectory up to float32 rounding:
- ``direct``: every step computes the W1 gradient (rank ``batch``) and updates the
  momentum buffer and W1 in place (two fused passes over them: ``baddbmm`` into the
  buffer, ``addcmul`` of the masked buffer into W1);
- ``lowrank`` (module ``lowrank``): the W1 change of a window of K steps is applied at once;
- ``dual`` (module ``dual``): the same windows, with W1 and its buffer kept as
  combinations of the training samples (unmasked runs on shared data).
Which one a job runs is resolved by ``method.effective_method`` (the plan does it once).
Both match a plain torch.optim.SGD loop to float32 rounding (tests). The loss-drop
phase amplifies rounding-level differences (a 1e-6 relative change of the init grew to
~4e-4 in W1 by the end of the drop), so implementations that differ in summation order
agree to ~1e-6 before the drop and to ~1e-3 after it; results are bit-reproducible for
a fixed method, window and machine.
Steps are grouped into blocks on a fixed grid (multiples of ``block``, epoch ends,
checkpoint steps), so the trajectory does not depend on when resume states are saved:
under ``lowrank`` and ``dual`` a block is a window of ``window`` steps; the direct update does not
depend on the grouping, and its blocks (``method.DIRECT_BLOCK`` steps) only set how
often the caller can save.
"""

import torch

from .dual import DualState
from .dumps import WEIGHTS
from .lowrank import window_update
from .method import DIRECT_BLOCK, effective_method
from .runs import N_OUT, epoch_order, init_weights, order_generator
from .schedule import steps_per_epoch


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
        masked = any(r.masked for r in runs)
        self.method = effective_method(method, device.type, masked, self.N)
        if self.method == "dual" and not self.shared:
            raise ValueError("the dual method needs one data set shared by the stacked runs")
        self.block = DIRECT_BLOCK if self.method == "direct" else self.window

        inits = []
        for r in runs:
            w = r.init if r.init is not None else init_weights(r.seed, r.sigma0, self.d, self.D)
            inits.append({k: w[k].to(torch.float32) for k in WEIGHTS})
        for k in WEIGHTS:
            setattr(self, k, torch.stack([w[k] for w in inits]).to(device).contiguous())
        # W1 and its momentum buffer share one [R, 2d, D] tensor, so that the low-rank
        # method reads and updates both with single matmuls.
        self.WB = torch.zeros(self.R, 2 * self.d, self.D, device=device)
        self.WB[:, : self.d] = self.W1
        self.W1 = self.WB[:, : self.d]
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
        self.bufs["W1"] = self.WB[:, self.d :]
        self.gram = None
        if self.method == "dual" or (self.method == "lowrank" and self.shared and self.N <= 8192):
            self.gram = self.X @ self.X.T  # [N, N]: window Gram blocks are gathered from it
        self.dual = DualState(self) if self.method == "dual" else None
        self.gens = [order_generator(r.seed) for r in runs]
        self.order = None  # [R, N] permutation of the current epoch
        self.pos = 0  # batches of the current epoch already used
        self.step = 0
        self._ar = torch.arange(self.R, device=device)

    # -- state ---------------------------------------------------------------------

    def weights(self, r):
        if self.dual is not None:
            self.dual.materialise(self)
        return {k: getattr(self, k)[r].detach().cpu().clone() for k in WEIGHTS}

    def run_state(self, r):
        state = self.weights(r)
        state.update({f"buf_{k}": self.bufs[k][r].cpu().clone() for k in WEIGHTS})
        if self.dual is not None:
            state.update(self.dual.state(r))
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
        if self.dual is not None:
            self.dual.load(self, states)

    # -- training ------------------------------------------------------------------

    def advance(self, n_steps):
        """Train ``n_steps`` SGD steps; blocks are cut at epoch ends and the block grid."""
        while n_steps > 0:
            if self.order is None or self.pos == self.spe:
                self.order = torch.stack([epoch_order(g, self.N) for g in self.gens]).to(
                    self.device
                )
                self.pos = 0
            k = min(n_steps, self.spe - self.pos, self.block - self.step % self.block)
            idx = self.order[:, self.pos * self.B : (self.pos + k) * self.B]  # [R, kB]
            if self.method == "lowrank":
                window_update(self, idx, k)
            elif self.method == "dual":
                self.dual.window_update(self, idx, k)
            else:
                for j in range(k):
                    self._step_direct(idx[:, j * self.B : (j + 1) * self.B])
            self.pos += k
            self.step += k
            n_steps -= k

    def gather(self, idx):
        if self.shared:
            return self.X[idx], self.Y[idx]
        ar = self._ar[:, None]
        return self.X[ar, idx], self.Y[ar, idx]

    def head(self, h, yb):
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

    def update_small(self, g_b1, g_W2, g_b2):
        lr, m = self.lr, self.m
        for name, g in (("b1", g_b1), ("W2", g_W2), ("b2", g_b2)):
            buf = self.bufs[name]
            buf.mul_(m).add_(g)
            getattr(self, name).add_(buf, alpha=-lr)
        if self.mask_W2 is not None:
            self.W2.mul_(self._mask_f2)

    def _step_direct(self, idx):
        xb, yb = self.gather(idx)
        h = torch.baddbmm(self.b1.unsqueeze(1), xb, self.W1.transpose(1, 2))
        gh, g_b1, g_W2, g_b2 = self.head(h, yb)
        buf = self.bufs["W1"]
        buf.baddbmm_(gh.transpose(1, 2), xb, beta=self.m)  # m buf + gradient, one pass
        if self.mask_W1 is None:
            self.W1.add_(buf, alpha=-self.lr)
        else:  # W1 is masked already: W1 - lr (buf * M) keeps it so, in one pass
            self.W1.addcmul_(buf, self._mask_f1, value=-self.lr)
        self.update_small(g_b1, g_W2, g_b2)

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
        if self.dual is not None:
            self.dual.materialise(self)
        logits = self._logits(self.X)
        Y = self.Y.expand(self.R, -1) if self.Y.dim() == 1 else self.Y
        logp = torch.log_softmax(logits, dim=-1)
        loss = -logp.gather(2, Y.unsqueeze(2)).squeeze(2).mean(1)
        logits_t = self._logits(self.Xt)
        Yt = self.Yt.expand(self.R, -1) if self.Yt.dim() == 1 else self.Yt
        acc = (logits_t.argmax(-1) == Yt).to(torch.float32).mean(1)
        return loss.cpu(), acc.cpu()
