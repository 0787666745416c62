"""The low-rank window update of the stacked trainer (``method: lowrank``).

W1's change within a window of K steps is a sum of rank-``batch`` outer products whose
coefficients follow from the momentum recursion. With s the window start, U_j = gh_j^T X_j
the W1 gradient of step s+j (j = 0..K-1) and m the momentum,
    W_{s+j}   = W_s - lr a_j buf_s - lr sum_{i<j} e_{j-1-i} U_i
    buf_{s+j} = m^j buf_s + sum_{i<j} m^{j-1-i} U_i
with a_j = sum_{q=1..j} m^q and e_q = sum_{r=0..q} m^r. The data order is known in
advance, so the window's K*batch samples X_W are gathered once; the pre-activations of
step j are (W_s X_j^T) - lr a_j (buf_s X_j^T) - lr sum_i e_{j-1-i} gh_i^T (X_i X_j^T), i.e.
two [d, 1024] x [1024, K*batch] matmuls and a Gram matrix per window plus tiny per-step
products; at the window's end W and buf are materialised with one [d, K*batch] x
[K*batch, 1024] matmul each. All big products run near the BLAS peak, where the direct
update's rank-4 steps stream W1 and its buffer through memory 5-6 times per step (on the
2-core CPU the direct update was only 1.2-1.4x faster than a plain one-run nn.Module
loop; bench/bench_race.py). Masks break the low-rank structure (M * U is not low rank),
so masked (IMP) runs use the direct update.
"""

import torch


def window_update(t, idx, k):
    """Advance the stacked runs ``t`` (``stacked.BatchedRuns``) by the ``k`` steps whose
    samples are ``idx`` [R, k*batch]."""
    B, lr, m, d = t.B, t.lr, t.m, t.d
    XW, YW = t.gather(idx)  # [R, kB, D], [R, kB]
    P = torch.bmm(XW, t.WB.transpose(1, 2))  # [R, kB, 2d] = [X W_s^T | X buf_s^T]
    PW, PB = P[..., :d], P[..., d:]
    if t.gram is not None:
        G = t.gram[idx.unsqueeze(2), idx.unsqueeze(1)]  # [R, kB, kB]
    else:
        G = torch.bmm(XW, XW.transpose(1, 2))
    GH = torch.zeros(t.R, k * B, d, device=XW.device)  # rows: gh of each sample
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
        h.add_(t.b1.unsqueeze(1))  # [R, B, d]
        gh, g_b1, g_W2, g_b2 = t.head(h, YW[:, c])
        GH[:, c] = gh
        t.update_small(g_b1, g_W2, g_b2)
    # materialise: W_{s+k} = W_s - lr a_k buf_s - lr sum e_{k-1-i} U_i,
    #              buf_{s+k} = m^k buf_s + sum m^{k-1-i} U_i   (one matmul for both)
    wB = torch.tensor(
        [m ** (k - 1 - i) for i in range(k)], dtype=torch.float32, device=XW.device
    ).repeat_interleave(B)
    buf = t.bufs["W1"]
    t.W1.add_(buf, alpha=-lr * a[k])
    buf.mul_(m**k)
    coef = torch.cat([GH * (-lr * e_rows)[:, None], GH * wB[:, None]], dim=2)  # [R, kB, 2d]
    t.WB.baddbmm_(coef.transpose(1, 2), XW)
