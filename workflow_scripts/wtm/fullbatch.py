"""One full-batch training step of the pattern MLP, in preallocated buffers.

Why not autograd: at the default size every epoch allocates four (samples x hidden)
float32 tensors (36 MB each: the pre-activations, the activations, dL/da, dL/dz).
Blocks that large are above glibc's largest mmap threshold, so each one is mapped,
page-faulted and zeroed by the kernel on every epoch, which cost more than every
elementwise operation of the step together. Here the step runs the same ATen
operations as autograd does for ``pattern_mlp`` (the same matrix products in the same
operand order, the same loss gradient), into buffers allocated once: the weights,
losses and accuracies are bit-identical to the autograd step's
(``tests/wtm/test_train.py`` compares them epoch by epoch). Mini-batches keep autograd.
"""

import torch
import torch.nn.functional as F


class FullBatchStep:
    """Forward pass, loss and the gradients of ``pattern_mlp`` on the whole data set.

    ``forward()`` -> (logits, loss) of the current weights; ``backward()`` then writes
    dL/dW into the weights' ``.grad`` (overwritten, never accumulated), for the
    optimizer's ``step()``. Logits and the pre-activation buffer are reused by the next
    ``forward()``.
    """

    def __init__(self, model, x, y):
        first, second = model.linears
        self.W1, self.w2 = first.weight, second.weight  # [hidden, features], [1, hidden]
        self.relu = model.activation == "relu"
        self.x, self.y = x, y
        samples, hidden = x.shape[0], self.W1.shape[0]
        self.z = x.new_empty(samples, hidden)  # pre-activations, then activations (in place)
        self.dz = x.new_empty(samples, hidden)  # dL/da, then dL/dz (in place)
        self.out = x.new_empty(samples, 1)
        self.W1.grad = torch.empty_like(self.W1)
        self.w2.grad = torch.empty_like(self.w2)
        self._logits = None

    @torch.no_grad()
    def forward(self):
        torch.mm(self.x, self.W1.T, out=self.z)  # nn.Linear without bias: x @ W.T
        if self.relu:
            self.z.clamp_min_(0)
        torch.mm(self.z, self.w2.T, out=self.out)
        self._logits = self.out[:, 0]
        return self._logits, F.binary_cross_entropy_with_logits(self._logits, self.y)

    @torch.no_grad()
    def backward(self):
        a = self.z
        # d(mean BCE)/d logit, as ATen's binary_cross_entropy_with_logits_backward
        residual = (torch.sigmoid(self._logits) - self.y).div_(self.y.numel())
        torch.mm(residual[None, :], a, out=self.w2.grad)
        torch.mm(residual[:, None], self.w2, out=self.dz)
        if self.relu:  # ReLU's backward: zero where the activation is not positive
            self.dz.masked_fill_(a <= 0, 0)
        torch.mm(self.dz.T, self.x, out=self.W1.grad)
