"""Checkpoint files of every supported format -> the same weights in the model; what a
file that does not fit, or holds objects weights-only loading refuses, is told."""

import argparse

import pytest
import torch

from workflow_scripts.external import loading
from workflow_scripts.models import build

from .helpers import MLP, saver

FORMATS = ("bare", "dict", "torchvision", "lightning", "open_lth", "safetensors", "compiled_ddp")


def mlp():
    return build(MLP["name"], **MLP["args"])


@pytest.fixture(scope="module")
def original():
    torch.manual_seed(3)
    return mlp()


def load(path, model=None, **kw):
    model = model or mlp()
    obj = loading.load_file(path, kw.get("allow_globals", ()))
    state, where = loading.state_dict_of(obj, path, kw.get("state_key", "auto"))
    loading.fit(model, state, path, kw.get("prefix", "auto"))
    return model, where


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_the_saved_weights(tmp_path, original, fmt):
    opt = torch.optim.SGD(original.parameters(), lr=0.1, momentum=0.9)
    saver(tmp_path, fmt)(30, 3.0, original, opt)
    (path,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    model, where = load(path)
    assert loading.weights_hash(model) == loading.weights_hash(original)
    assert where == {"bare": "bare", "open_lth": "bare", "safetensors": "bare", "dict": "model_state_dict",
                     "torchvision": "model", "lightning": "state_dict", "compiled_ddp": "state_dict"}[fmt]  # fmt: skip


def test_the_weights_hash_depends_on_the_weights_only(tmp_path, original):
    other = mlp()
    assert loading.weights_hash(other) != loading.weights_hash(original)
    torch.save(original.state_dict(), tmp_path / "a.pt")
    torch.save({"model": original.state_dict(), "epoch": 1}, tmp_path / "b.pt")
    assert loading.file_hash(tmp_path / "a.pt") != loading.file_hash(tmp_path / "b.pt")
    assert loading.weights_hash(load(tmp_path / "a.pt")[0]) == loading.weights_hash(
        load(tmp_path / "b.pt")[0]
    )


class Custom:  # a class weights-only loading does not know
    def __init__(self, lr=0.1):
        self.lr = lr


def test_an_unknown_object_stops_the_load_naming_it_and_can_be_allowed(tmp_path, original):
    path = tmp_path / "ckpt.pth"
    torch.save({"model": original.state_dict(), "args": argparse.Namespace(lr=0.1),
                "config": Custom()}, path)  # fmt: skip
    with pytest.raises(loading.CheckpointError) as err:
        load(path)
    text = str(err.value)
    assert "tests.external.test_loading.Custom" in text and "allow_globals" in text
    assert "argparse.Namespace" not in text  # allowed: harmless
    model, _ = load(path, allow_globals=["tests.external.test_loading:Custom"])
    assert loading.weights_hash(model) == loading.weights_hash(original)


def test_a_checkpoint_of_another_model_lists_missing_and_unexpected_keys(tmp_path, original):
    other = build("mlp", widths=[784, 24, 10])
    torch.save(other.state_dict(), tmp_path / "other.pt")
    with pytest.raises(loading.CheckpointError) as err:
        load(tmp_path / "other.pt")
    text = str(err.value)
    assert "does not fit the model (MLP)" in text and "2 missing key(s): 4.bias, 4.weight" in text
    assert "another architecture" in text
    wide = build("mlp", widths=[784, 30, 16, 10])
    torch.save(wide.state_dict(), tmp_path / "wide.pt")
    with pytest.raises(loading.CheckpointError, match="size mismatch for 0.weight"):
        load(tmp_path / "wide.pt")


def test_a_deeper_prefix_is_hinted(tmp_path, original):
    state = {f"trainer.ema.model.{k}": v for k, v in original.state_dict().items()}
    torch.save({"state_dict": state}, tmp_path / "ema.pt")
    with pytest.raises(loading.CheckpointError) as err:
        load(tmp_path / "ema.pt")
    assert "only a prefix differs" in str(err.value) and "'trainer.ema.model.'" in str(err.value)
    model, _ = load(tmp_path / "ema.pt", prefix="trainer.ema.model.")
    assert loading.weights_hash(model) == loading.weights_hash(original)
    torch.save({"net": {"backbone": original.state_dict()}}, tmp_path / "nested.pt")
    with pytest.raises(loading.CheckpointError, match="none of which holds a state dict"):
        load(tmp_path / "nested.pt")
    model, where = load(tmp_path / "nested.pt", state_key="net.backbone")
    assert where == "net.backbone"


def test_a_missing_batchnorm_counter_still_fits(tmp_path):
    net = build("narrow_resnet18", width=2, in_channels=1)
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, tmp_path / "old.pt")
    fresh = build("narrow_resnet18", width=2, in_channels=1)
    obj = loading.load_file(tmp_path / "old.pt")
    loading.fit(fresh, loading.state_dict_of(obj, "old.pt")[0], "old.pt")
    assert torch.equal(fresh.conv1.weight, net.conv1.weight)
