"""Hooks on named modules (unknown names, shared modules, in-place operations, units of
conv layers) and CKA (known answers, the float32 path against the float64 reference,
invariances)."""

import numpy as np
import pytest
import torch
from torch import nn

from workflow_scripts import metrics
from workflow_scripts.metrics import cka
from workflow_scripts.metrics.layers import RepeatedModuleError, UnknownLayerError, find_modules
from workflow_scripts.metrics.measure import MissingLabelsError, measure
from workflow_scripts.metrics.selectivity_index import floor_shuffle

BLOCKS = [f"layer{m}.{b}" for m in range(1, 5) for b in range(2)]


def test_registry_states_what_each_metric_applies_to_and_returns():
    assert set(metrics.NAMES) == {"selectivity", "samplesets", "cka", "ablation"}
    for m in metrics.METRICS.values():
        assert m.applies_to and "(" in m.returns and m.function.count(":") == 1
    assert metrics.get("ablation").needs == ("selectivity",)
    with pytest.raises(ValueError, match="did you mean selectivity"):
        metrics.get("selectivty")


def test_an_unknown_layer_is_named_with_the_nearest_ones(resnet):
    with pytest.raises(UnknownLayerError) as err:
        find_modules(resnet, ["layer1.0", "layer5.0", "layer2.1.conv"])
    text = str(err.value)
    assert "'layer5.0' (nearest: " in text and "layer1.0" in text.split("'layer5.0'")[1]
    assert "'layer2.1.conv' (nearest: layer2.1.conv2, layer2.1.conv1" in text


def test_a_shared_module_called_twice_is_refused_naming_its_parent(resnet, probe):
    with pytest.raises(RepeatedModuleError, match="ran twice.*'layer1.0'"):
        measure(resnet, probe.plain(50), layers=[], cka_layers=["layer1.0.relu"])


def test_units_are_read_before_a_later_in_place_relu(probe):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 6), nn.ReLU(inplace=True), nn.Linear(6, 10))
    x = probe.x
    floor = floor_shuffle(probe.labels.numpy(), 0)
    m = measure(net, probe.plain(100), n_classes=10, layers=["1"], floor_labels=floor)
    with torch.no_grad():
        z = net[1](net[0](x)).double()  # the linear outputs, negative values included
    onehot = nn.functional.one_hot(probe.labels, 10).double()
    want = (onehot.T @ z / onehot.sum(0)[:, None]).T.float().numpy()
    np.testing.assert_allclose(m.selectivity["class_mean"], want, rtol=1e-5, atol=1e-6)
    assert (want < 0).any()  # an in-place ReLU seen by the hook would have zeroed these


def test_a_conv_unit_is_its_channel_averaged_over_space(resnet, probe):
    m = measure(resnet, probe.plain(50), n_classes=10, layers=["layer2.1"],
                floor_labels=floor_shuffle(probe.labels.numpy(), 0))  # fmt: skip
    with torch.no_grad():
        h = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(probe.x))))
        h = resnet.layer2(resnet.layer1(h)).mean(dim=(2, 3)).double()
    onehot = nn.functional.one_hot(probe.labels, 10).double()
    want = (onehot.T @ h / onehot.sum(0)[:, None]).T.numpy()
    np.testing.assert_allclose(m.selectivity["class_mean"], want, rtol=1e-5, atol=1e-7)
    assert m.units == {"layer2.1": 8}


def test_unlabelled_probe_images_serve_cka_but_not_selectivity(resnet, probe):
    unlabelled = [(x, None) for x, _ in probe.plain(50)]
    m = measure(resnet, unlabelled, cka_layers=["layer1.0", "layer4.1"], selectivity_index=False)
    assert m.accuracy is None and m.cka.shape == (2, 2)
    with pytest.raises(MissingLabelsError, match="need class labels"):
        measure(resnet, unlabelled, n_classes=10, layers=["layer1.0"], floor_labels=np.zeros(230))


def _known_xy():
    np.random.seed(1337)
    x = np.random.randn(100, 10)
    return x, np.random.randn(100, 10) + x


@pytest.mark.parametrize("precision", cka.PRECISIONS)
def test_cka_known_answers(precision):
    x, y = _known_xy()
    assert cka.linear_cka(x, y) == pytest.approx(0.55761, abs=5e-6)
    acc = cka.MinibatchCKA(2)
    acc.add([cka.gram_of(torch.as_tensor(v), precision) for v in (x, y)])
    assert float(acc.value()[0, 1]) == pytest.approx(0.51346, abs=5e-6)
    assert acc.value().dtype == torch.float64


def test_float32_centred_products_agree_with_the_float64_reference(resnet, probe, one_thread):
    layers = BLOCKS + ["avgpool", "fc"]
    kw = dict(layers=[], cka_layers=layers, selectivity_index=False, batch_size=50)
    fast = measure(resnet, probe.plain(50), cka_precision="float32", **kw)
    ref = measure(resnet, probe.plain(50), cka_precision="float64", **kw)
    assert fast.cka.dtype == np.float64
    np.testing.assert_allclose(fast.cka, ref.cka, rtol=0, atol=1e-6)
    off = ref.cka[~np.eye(len(layers), dtype=bool)]
    assert off.min() < 0.9  # real structure: the layers are not all alike


@pytest.mark.parametrize("precision", cka.PRECISIONS)
def test_cka_of_a_layer_with_itself_and_with_a_rotated_copy_is_one(precision):
    gen = torch.Generator().manual_seed(0)
    x = torch.relu(torch.randn(200, 30, generator=gen)) + 0.5
    q, _ = torch.linalg.qr(torch.randn(30, 30, generator=gen))
    rotated = x @ q
    acc = cka.MinibatchCKA(3)
    for b in range(0, 200, 50):
        acc.add([cka.gram_of(v[b : b + 50], precision) for v in (x, x.clone(), rotated)])
    np.testing.assert_allclose(acc.value().numpy(), np.ones((3, 3)), atol=1e-6)
    assert cka.linear_cka(x, rotated) == pytest.approx(1.0, abs=1e-9)


def test_cka_of_a_constant_layer_is_nan_and_batches_must_be_equal():
    acc = cka.MinibatchCKA(2)
    x = torch.randn(20, 5)
    acc.add([cka.gram_of(x, "float32"), cka.gram_of(torch.ones(20, 5), "float32")])
    assert np.isnan(float(acc.value()[0, 1])) and float(acc.value()[0, 0]) == pytest.approx(1)
    with pytest.raises(ValueError, match="equal batches"):
        acc.add([cka.gram_of(x[:10], "float32")] * 2)
    with pytest.raises(ValueError, match="precision"):
        cka.gram_of(x, "float16")
