"""Runs "someone else" trained: a plain PyTorch loop on the fake Fashion-MNIST, its
checkpoints saved in the formats real scripts use (each test writes its own)."""

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from workflow_scripts.datasets import load_arrays
from workflow_scripts.models import build

from ..fake_data import write_learnable_fashion_mnist

MLP = {"name": "mlp", "args": {"widths": [784, 24, 16, 10]}}
RESNET = {"name": "tests.external.helpers:tiny_resnet", "args": {"num_classes": 10}}
MLP_PROBE = {"transforms": {"mean": [0.3], "std": [0.4], "flatten": True}}
RESNET_PROBE = {"transforms": {"mean": [0.3], "std": [0.4], "channels": 3}}
MLP_LAYERS = ["1", "3"]  # the ReLU modules (non-negative units)
RESNET_LAYERS = ["layer1.0", "layer2.0", "layer3.0", "layer4.0"]


def tiny_resnet(num_classes=10):
    """torchvision's ResNet class, one BasicBlock per module (64-512 channels)."""
    from torchvision.models.resnet import BasicBlock, ResNet

    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes=num_classes)


def fashion(data_dir):
    """<data_dir>/FashionMNIST/raw/: 30 train and 15 test images per class."""
    write_learnable_fashion_mnist(data_dir, per_class_train=30, per_class_test=15)
    return data_dir


def train_plain(spec, data_dir, save_at, save, steps=None, seed=0, batch_size=30, lr=0.05):
    """SGD on the train split; ``save(step, epoch, model, optimizer)`` at the steps
    ``save_at`` (0 = before the first step)."""
    torch.manual_seed(seed)
    model = build(spec["name"], **spec["args"])
    x, y = load_arrays("fashion_mnist", data_dir, True)
    x = (torch.as_tensor(x).float() / 255.0 - 0.3) / 0.4
    x = x.flatten(1) if spec["name"] == "mlp" else x.unsqueeze(1).expand(-1, 3, -1, -1)
    y = torch.as_tensor(y)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    per_epoch = len(y) // batch_size
    steps = steps or max(save_at)
    rng = np.random.default_rng(seed)
    step = 0
    if 0 in save_at:
        save(0, 0.0, model, opt)
    while step < steps:
        order = torch.as_tensor(rng.permutation(len(y)))
        for b in range(per_epoch):
            idx = order[b * batch_size : (b + 1) * batch_size]
            model.train()
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step in save_at:
                save(step, step / per_epoch, model, opt)
            if step >= steps:
                break
    return model


def saver(directory, fmt):
    """``save(step, epoch, model, optimizer)`` writing one checkpoint in format ``fmt``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    def save(step, epoch, model, opt):
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if fmt == "bare":
            torch.save(state, directory / f"step_{step}.pt")
        elif fmt == "dict":  # a training loop's dict, step inside only (no number in the name)
            torch.save(
                {"step": step, "epoch": epoch, "model_state_dict": state,
                 "optimizer_state_dict": opt.state_dict()},
                directory / f"ckpt_{'abcdefghij'[len(list(directory.iterdir()))]}.tar",
            )  # fmt: skip
        elif fmt == "torchvision":  # the reference script: model_{epoch}.pth with its args
            args = argparse.Namespace(lr=0.05, output_dir=Path(directory), epochs=3)
            torch.save(
                {"model": state, "optimizer": opt.state_dict(), "epoch": int(round(epoch)),
                 "args": args},
                directory / f"model_{int(round(epoch))}.pth",
            )  # fmt: skip
        elif fmt == "lightning":
            torch.save(
                {"epoch": int(epoch), "global_step": step, "pytorch-lightning_version": "2.4.0",
                 "state_dict": {f"model.{k}": v for k, v in state.items()},
                 "optimizer_states": [opt.state_dict()], "lr_schedulers": [], "callbacks": {},
                 "hyper_parameters": {"lr": 0.05}},
                directory / f"epoch={int(epoch)}-step={step}.ckpt",
            )  # fmt: skip
        elif fmt == "open_lth":
            per_epoch = round(step / epoch) if epoch else 1
            ep, it = divmod(step, per_epoch) if epoch else (0, 0)
            torch.save(state, directory / f"model_ep{ep}_it{it}.pth")
        elif fmt == "safetensors":
            from safetensors.torch import save_file

            save_file(
                state, str(directory / f"weights-{step}.safetensors"), metadata={"step": str(step)}
            )
        elif fmt == "compiled_ddp":
            torch.save({"state_dict": {f"module._orig_mod.{k}": v for k, v in state.items()}},
                       directory / f"iter_{step:05d}.pt")  # fmt: skip
        else:
            raise ValueError(fmt)

    return save
