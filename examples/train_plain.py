"""Train a small CNN on Fashion-MNIST with a plain PyTorch loop, saving checkpoints the way
a typical training script does; then analyse the run with trainscope's external study:

    python examples/train_plain.py                       # ~1-3 min on 2 cores
    snakemake --cores 2 external_all --configfile configs/external_example.yaml

Nothing here is trainscope's: the loop, the model and the checkpoint format (a dict with
``model_state_dict``, the optimizer state, the step, the epoch and the script's
``argparse.Namespace``) are what many training scripts write. Checkpoints go to
``runs/fashion_cnn/ckpt_step<step>.pt``, dense early (class selectivity moves in the first
hundred steps) and at the end of every epoch.

Data: Debian's gzipped idx files (``apt-get install dataset-fashion-mnist``:
/usr/share/datasets/fashion-mnist) or the uncompressed ones in
``<data_dir>/FashionMNIST/raw/`` (``make data``).
"""

import argparse
import gzip
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
EARLY_STEPS = (0, 5, 10, 20, 50, 100, 200, 400)


class SmallCNN(nn.Module):
    """Two conv layers and a hidden linear layer, each followed by its own ReLU module
    (``relu1``, ``relu2``, ``relu3``: the layers the example config measures)."""

    def __init__(self, num_classes=10, width=16):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(2 * width * 7 * 7, 64)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(self.relu1(self.conv1(x)))
        x = self.pool(self.relu2(self.conv2(x)))
        return self.fc2(self.relu3(self.fc1(x.flatten(1))))


def read_idx(folder, name):
    for path, opener in ((folder / name, open), (folder / f"{name}.gz", gzip.open)):
        if path.is_file():
            with opener(path, "rb") as fh:
                data = fh.read()
            offset = 16 if "images" in name else 8
            return np.frombuffer(data, dtype=np.uint8, offset=offset).copy()
    return None


def load(folders, split):
    prefix = "train" if split == "train" else "t10k"
    for folder in folders:
        x = read_idx(folder, f"{prefix}-images-idx3-ubyte")
        y = read_idx(folder, f"{prefix}-labels-idx1-ubyte")
        if x is not None and y is not None:
            x = (torch.as_tensor(x.reshape(-1, 1, 28, 28)).float() / 255.0 - 0.286) / 0.353
            return x, torch.as_tensor(y.astype(np.int64))
    raise SystemExit(
        f"Fashion-MNIST not found in {', '.join(map(str, folders))}: `apt-get install "
        "dataset-fashion-mnist`, or `make data` (gunzips it into data/FashionMNIST/raw/)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="runs/fashion_cnn")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    folders = [Path(args.data_dir) / "FashionMNIST" / "raw", DEBIAN]
    x, y = load(folders, "train")
    x_test, y_test = load(folders, "test")
    model = SmallCNN()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def save(step, epoch):
        torch.save(
            {
                "step": step,
                "epoch": epoch,
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": opt.state_dict(),
                "args": args,
            },
            out / f"ckpt_step{step:06d}.pt",
        )

    steps_per_epoch = len(y) // args.batch_size
    step, start = 0, time.time()
    save(0, 0.0)
    for epoch in range(args.epochs):
        order = torch.randperm(len(y))
        model.train()
        for b in range(steps_per_epoch):
            idx = order[b * args.batch_size : (b + 1) * args.batch_size]
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step in EARLY_STEPS or b == steps_per_epoch - 1:
                save(step, step / steps_per_epoch)
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        print(
            f"epoch {epoch + 1}: step {step}, test accuracy {accuracy:.3f}, {time.time() - start:.0f} s"
        )
    print(f"checkpoints in {out}/ ({len(list(out.glob('ckpt_step*.pt')))} files)")


if __name__ == "__main__":
    main()
