"""A ResNet-18/34-shaped network of any width (torchvision's refuses narrow ones).

torchvision's ``BasicBlock`` only accepts ``base_width=64`` and its ``ResNet`` fixes the
module widths to 64/128/256/512, so a CPU-sized ResNet needs its own module. This one
keeps torchvision's layout and attribute names (``conv1, bn1, relu, maxpool,
layer1..layer4, avgpool, fc``; blocks with one shared ``relu`` called twice and an
optional ``downsample``) and its initialisation (Kaiming normal, fan-out, for
convolutions; BatchNorm weight 1, bias 0; the default ``nn.Linear`` init for ``fc``), so
every tool written for torchvision ResNets (hooks on ``layerN[i]``, staged forwards)
works on both. Widths are ``width x (1, 2, 4, 8)``.

``stem="imagenet"``: 7x7 stride-2 convolution + 3x3 stride-2 max-pool (torchvision's);
``stem="cifar"``: 3x3 stride-1 convolution, no pooling (5-8x slower on 28x28 inputs).
"""

from torch import nn


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
            )

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class NarrowResNet(nn.Module):
    def __init__(
        self, layers=(2, 2, 2, 2), width=16, num_classes=10, in_channels=3, stem="imagenet"
    ):
        super().__init__()
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"stem must be 'imagenet' or 'cifar', got {stem!r}")
        widths = [width * 2**i for i in range(4)]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        else:
            self.conv1 = nn.Conv2d(in_channels, width, 3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        inplanes = width
        for i, (planes, n_blocks) in enumerate(zip(widths, layers)):
            blocks = []
            for b in range(n_blocks):
                blocks.append(BasicBlock(inplanes, planes, stride=2 if (i > 0 and b == 0) else 1))
                inplanes = planes
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def narrow_resnet18(**kwargs):
    return NarrowResNet(layers=(2, 2, 2, 2), **kwargs)


def narrow_resnet34(**kwargs):
    return NarrowResNet(layers=(3, 4, 6, 3), **kwargs)
