"""The yardstick for the stacked trainer: one race run as a plain PyTorch loop.

nn.Linear layers + torch.optim.SGD, one step at a time, with the same init, data order
and masking as ``workflow_scripts.race.train``. The tests check the stacked trainer
against it and ``bench/bench_race.py`` times it; it is never used to produce results.
"""

import torch

from workflow_scripts.race import runs as T


def plain_sgd_run(
    data, seed, sigma0, hidden, steps, lr, batch=4, momentum=0.9, masks=None, init=None
):
    """Final weights {W1, b1, W2, b2} of one run; masks (m1, m2) re-applied every step."""
    w = init or T.init_weights(seed, sigma0, hidden, data["x_train"].shape[1])
    net = torch.nn.Sequential(
        torch.nn.Linear(data["x_train"].shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, 2),
    )

    def apply_masks():
        if masks is not None:
            net[0].weight.mul_(masks[0])
            net[2].weight.mul_(masks[1])

    with torch.no_grad():
        for mod, wk, bk in ((net[0], "W1", "b1"), (net[2], "W2", "b2")):
            mod.weight.copy_(w[wk])
            mod.bias.copy_(w[bk])
        apply_masks()
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    gen, n = T.order_generator(seed), len(data["x_train"])
    x, y = data["x_train"], data["y_train"]
    done = 0
    while done < steps:
        order = T.epoch_order(gen, n)
        for j in range(n // batch):
            if done == steps:
                break
            i = order[j * batch : (j + 1) * batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[i]), y[i]).backward()
            opt.step()
            with torch.no_grad():
                apply_masks()
            done += 1
    return {
        "W1": net[0].weight.detach(),
        "b1": net[0].bias.detach(),
        "W2": net[2].weight.detach(),
        "b2": net[2].bias.detach(),
    }
