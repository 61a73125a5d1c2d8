"""The built-in `tiny` eraser: spandrel's LaMa class with a toy-width generator, seeded, built in code.

It is the real architecture (Fourier-convolution ResNet between a downsampling and an upsampling stack, spandrel's
LaMa wrapper that blends the fill into the hole) at a few channels and one block, so `lama.py` runs the path big-lama
takes. Its fills are noise, the same in every process.
"""

from __future__ import annotations

import importlib
from typing import Any

SEED = 0
CHANNELS = 8
DOWNSAMPLINGS = 2
BLOCKS = 1


def build(seed: int = SEED) -> Any:
    """A spandrel MaskedImageModelDescriptor around a tiny LaMa, weights drawn from `seed` off the global RNG."""
    import torch
    from spandrel import MaskedImageModelDescriptor, SizeRequirements
    from spandrel.architectures.LaMa import LaMa, LaMaArch

    # spandrel names LaMa's generator only inside its architecture package; its LaMa() builds big-lama's size.
    generator: Any = importlib.import_module("spandrel.architectures.LaMa.__arch.LaMa").FFCResNetGenerator
    with torch.device("meta"):
        model = LaMa(in_nc=4, out_nc=3)  # big-lama's shell, allocated nowhere; its generator is replaced below
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.model = generator(4, 3, ngf=CHANNELS, n_downsampling=DOWNSAMPLINGS, n_blocks=BLOCKS, max_features=32)
    model.eval()
    return MaskedImageModelDescriptor(
        model,
        model.state_dict(),
        architecture=LaMaArch(),
        purpose="Inpainting",
        tags=["tiny"],
        supports_half=False,
        supports_bfloat16=True,
        input_channels=3,
        output_channels=3,
        size_requirements=SizeRequirements(minimum=16, multiple_of=8),
    )
