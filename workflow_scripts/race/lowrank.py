"""The low-rank window update of the stacked trainer (``method: lowrank``).

W1's change within a window of K steps is a sum of rank-``batch`` outer products whose
coefficients follow from the momentum recursion. With s the window start, U_j = gh_j^T X_j
the W1 gradient of step s+j (j = 0..K-1) and m the momentum,
    W_{s+j}   = W_s - lr a_j buf_s - lr sum_{i<j} e_{j-1-i} U_i
    buf_{s+j} = m^j buf_s + sum_{i<j} m^{j-1-i} U_i
with a_j = sum_{q=1..j} m^q and e_q = sum_{r=0..q} m^r. The data order is known in
advance, so the window's K*batch samples X_W are gathered once; the pre-activations of
step j are (W_s X_j^T) - lr a_j (buf_s X_j^T) - lr sum_i e_{j-1-i} gh_i^T (X_i X_j^T), i.e.
two [d, D] x [D, K*batch] matmuls and a Gram matrix per window plus tiny per-step
products (``window_steps``, shared with the dual form, ``dual``); at the window's end W
and buf are materialised with one [d, K*batch] x [K*batch, D] matmul each. All big
products run near the BLAS peak, where the direct update's rank-4 steps stream W1 and its
buffer through memory several times per step (bench/bench_race.py). Masks break the
low-rank structure (M * U is not low rank), so masked (IMP) runs use the direct update.
"""

import torch


def coefficients(m, k, batch, device):
    """(a [k+1] floats, e_rows [k*batch]: e_{k-1-i} per sample row of step i,
    wB [k*batch]: m^{k-1-i} per sample row of step i)."""
    a = [sum(m**q for q in range(1, j + 1)) for j in range(k + 1)]
    e = [sum(m**r for r in range(q + 1)) for q in range(k)]
    e_rows = torch.tensor(e[::-1], dtype=torch.float32, device=device).repeat_interleave(batch)
    wB = torch.tensor(
        [m ** (k - 1 - i) for i in range(k)], dtype=torch.float32, device=device
    ).repeat_interleave(batch)
    return a, e_rows, wB


def window_steps(t, PW, PB, G, YW, k, a, e_rows):
    """The k SGD steps of a window from the window samples' pre-activations at its start
    (``PW`` = X_W W_s^T, ``PB`` = X_W buf_s^T, [R, kB, d]) and their Gram matrix ``G``
    [R, kB, kB]; updates b1, W2, b2 in place and returns GH [R, kB, d], the rows gh of
    every step (the W1 gradient of step i is GH_i^T X_i)."""
    B, lr, d = t.B, t.lr, t.d
    GH = torch.zeros(t.R, k * B, d, device=PW.device)
    for j in range(k):
        c = slice(j * B, (j + 1) * B)
        if j == 0:
            h = PW[:, c].clone()
        else:
            h = torch.add(PW[:, c], PB[:, c], alpha=-lr * a[j])
            # earlier steps i < j weigh e_{j-1-i}: the last j entries of e_rows' steps
            w = e_rows[(k - j) * B :]
            h.baddbmm_(G[:, c, : j * B] * w, GH[:, : j * B], alpha=-lr)
        h.add_(t.b1.unsqueeze(1))  # [R, B, d]
        gh, g_b1, g_W2, g_b2 = t.head(h, YW[:, c])
        GH[:, c] = gh
        t.update_small(g_b1, g_W2, g_b2)
    return GH


def window_update(t, idx, k):
    """Advance the stacked runs ``t`` (``stacked.BatchedRuns``) by the ``k`` steps whose
    samples are ``idx`` [R, k*batch]."""
    lr, m, d = t.lr, t.m, t.d
    XW, YW = t.gather(idx)  # [R, kB, D], [R, kB]
    P = torch.bmm(XW, t.WB.transpose(1, 2))  # [R, kB, 2d] = [X W_s^T | X buf_s^T]
    if t.gram is not None:
        G = t.gram[idx.unsqueeze(2), idx.unsqueeze(1)]  # [R, kB, kB]
    else:
        G = torch.bmm(XW, XW.transpose(1, 2))
    a, e_rows, wB = coefficients(m, k, t.B, XW.device)
    GH = window_steps(t, P[..., :d], P[..., d:], G, YW, k, a, e_rows)
    # materialise: W_{s+k} = W_s - lr a_k buf_s - lr sum e_{k-1-i} U_i,
    #              buf_{s+k} = m^k buf_s + sum m^{k-1-i} U_i   (one matmul for both)
    buf = t.bufs["W1"]
    t.W1.add_(buf, alpha=-lr * a[k])
    buf.mul_(m**k)
    coef = torch.cat([GH * (-lr * e_rows)[:, None], GH * wB[:, None]], dim=2)  # [R, kB, 2d]
    t.WB.baddbmm_(coef.transpose(1, 2), XW)
