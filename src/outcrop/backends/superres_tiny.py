"""The built-in `tiny` super-resolution model: Real-ESRGAN's RRDBNet at toy size, built in code.

The layout and parameter names are those of Real-ESRGAN's `.pth` files (`conv_first`, `body.N.rdbK.convM`,
`conv_body`, `conv_up1`, `conv_up2`, `conv_hr`, `conv_last`), which spandrel reads as its ESRGAN architecture;
`superres.py` runs this module exactly as it runs a loaded one. Its output is noise at 4x the input's size.
"""

from __future__ import annotations

from typing import Any

SCALE = 4


def build(features: int = 8, growth: int = 4, blocks: int = 1) -> Any:
    """An x4 RRDBNet whose weights are drawn from seed 0 without touching the global RNG."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = _rrdbnet(features, growth, blocks)
    with torch.no_grad():
        # Drawn weights map every pixel below zero, which clamps to black; centring the output on mid grey keeps
        # the tiny model's images dependent on their input, so tests can tell inputs apart.
        model.conv_last.bias.fill_(0.5)
    return model.eval()


def _rrdbnet(features: int, growth: int, blocks: int) -> Any:
    import torch
    from torch import nn
    from torch.nn import functional

    def conv(cin: int, cout: int) -> nn.Conv2d:
        return nn.Conv2d(cin, cout, 3, 1, 1)

    class DenseBlock(nn.Module):  # five convolutions, each seeing every earlier output
        def __init__(self) -> None:
            super().__init__()
            for i in range(1, 6):
                out = features if i == 5 else growth
                setattr(self, f"conv{i}", conv(features + (i - 1) * growth, out))

        def forward(self, x: Any) -> Any:
            outputs = [x]
            for i in range(1, 5):
                outputs.append(functional.leaky_relu(getattr(self, f"conv{i}")(torch.cat(outputs, 1)), 0.2))
            last: Any = self.conv5  # set by setattr above, under the name Real-ESRGAN's files use
            return last(torch.cat(outputs, 1)) * 0.2 + x

    class RRDB(nn.Module):  # three dense blocks with a scaled residual around them
        def __init__(self) -> None:
            super().__init__()
            self.rdb1, self.rdb2, self.rdb3 = DenseBlock(), DenseBlock(), DenseBlock()

        def forward(self, x: Any) -> Any:
            return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x

    class RRDBNet(nn.Module):
        scale = SCALE

        def __init__(self) -> None:
            super().__init__()
            self.conv_first = conv(3, features)
            self.body = nn.Sequential(*(RRDB() for _ in range(blocks)))
            self.conv_body = conv(features, features)
            self.conv_up1 = conv(features, features)
            self.conv_up2 = conv(features, features)
            self.conv_hr = conv(features, features)
            self.conv_last = conv(features, 3)

        def forward(self, x: Any) -> Any:
            feat = self.conv_first(x)
            feat = feat + self.conv_body(self.body(feat))
            for up in (self.conv_up1, self.conv_up2):
                feat = functional.leaky_relu(up(functional.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
            return self.conv_last(functional.leaky_relu(self.conv_hr(feat), 0.2))

    return RRDBNet()
