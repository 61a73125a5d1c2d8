"""The diffusion backend on the tiny seeded Stable Diffusion pipeline: every task through the real diffusers code.

The tiny model's UNet and VAE are random, so its images are noise: these tests check what the backend promises
(sizes, counts, seeds, kept pixels, the direction of similarity and colour guidance), never image quality.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import controlnet, registry
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.backends.diffusion import DiffusionBackend, load
from outcrop.errors import ValidationError
from outcrop.tasks import (
    ColorGuidedTask,
    ImageVariationTask,
    InpaintTask,
    OutpaintTask,
    TextToImageTask,
)
from outcrop.tasks.generation import GenerationConfig
from outcrop.tasks.outpaint import OutpaintMode
from outcrop.tasks.text_to_image import Conditioning, ControlMode, Style
from support.live_server import start_server

OVERLAY = """
[weights.tiny-diffusion]
description = "Seeded tiny Stable Diffusion built in code (noise images; for tests and CI)"
builtin = true

[profiles.tiny.bindings."amazon.nova-canvas-v1:0"]
TEXT_TO_IMAGE = { backend = "diffusion", weights = "tiny-diffusion" }
IMAGE_VARIATION = { backend = "diffusion", weights = "tiny-diffusion" }
INPAINT = { backend = "diffusion", weights = "tiny-diffusion" }
OUTPAINT = { backend = "diffusion", weights = "tiny-diffusion" }
COLOR_GUIDED = { backend = "diffusion", weights = "tiny-diffusion" }
"""


@pytest.fixture(scope="module")
def tiny() -> DiffusionBackend:
    return load(LoadSpec(weights="tiny-diffusion", weights_dir=None))


def config(**kwargs) -> GenerationConfig:
    return GenerationConfig(**{"width": 320, "height": 320, **kwargs})


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.float64)


def gradient(width: int, height: int) -> Image.Image:
    """A smooth, non-uniform test photo: distinct pixels everywhere, so a changed pixel shows."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) % 256], axis=-1)
    return Image.fromarray(rgb.astype(np.uint8))


def box_mask(size: tuple[int, int], box: tuple[int, int, int, int], inside: int) -> Image.Image:
    """A binary 'L' mask (as `imaging.binary_mask` gives): `inside` within the box, the other colour outside."""
    mask = Image.new("L", size, 255 - inside)
    mask.paste(inside, box)
    return mask


def test_text_to_image_sizes_counts_and_distinct_images(tiny):
    seen: list[float] = []
    task = TextToImageTask(
        prompt="a red fox", style=Style.PHOTOREALISM, config=config(number_of_images=3, width=1280, height=720)
    )
    result = tiny.run(task, seen.append)
    assert [im.size for im in result.images] == [(1280, 720)] * 3
    assert len({im.tobytes() for im in result.images}) == 3
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 2
    narrow = tiny.run(TextToImageTask(prompt="a red fox", config=config(width=320, height=704)), no_progress)
    assert narrow.images[0].size == (320, 704)


def test_same_task_same_bytes_and_image_i_follows_seed_plus_i(tiny):
    one = tiny.run(TextToImageTask(prompt="a lamp", config=config(number_of_images=2, seed=7)), no_progress)
    again = tiny.run(TextToImageTask(prompt="a lamp", config=config(number_of_images=2, seed=7)), no_progress)
    assert [im.tobytes() for im in one.images] == [im.tobytes() for im in again.images]
    shifted = tiny.run(TextToImageTask(prompt="a lamp", config=config(seed=8)), no_progress)
    # The batch runs together, so allow float-summation noise between a batch of 2 and a batch of 1.
    assert np.abs(pixels(shifted.images[0]) - pixels(one.images[1])).max() <= 2


def test_rebuilt_tiny_pipeline_gives_the_same_image(tiny):
    task = TextToImageTask(prompt="a lamp", config=config(seed=3))
    fresh = load(LoadSpec(weights="tiny-diffusion", weights_dir=None))
    assert fresh.run(task, no_progress).images[0].tobytes() == tiny.run(task, no_progress).images[0].tobytes()


def test_weights_folder_loads_through_from_pretrained(tiny, tmp_path):
    # The tiny pipeline saved in diffusers' layout stands in for installed weights (model_index.json and parts).
    tiny._pipes["text"].save_pretrained(tmp_path)  # type: ignore[index]
    options = {"steps_standard": 2, "max_pixels": 64 * 64}
    folder = load(LoadSpec(weights="saved", weights_dir=tmp_path, options=options))
    task = TextToImageTask(prompt="a lamp", config=config(seed=3))
    assert folder.run(task, no_progress).images[0].tobytes() == tiny.run(task, no_progress).images[0].tobytes()


def test_inpaint_keeps_every_pixel_outside_the_mask_and_returns_it(tiny):
    image = gradient(300, 200)
    mask = box_mask(image.size, (100, 50, 200, 150), inside=0)  # black = change
    result = tiny.run(
        InpaintTask(image=image, mask=mask, return_mask=True, config=config(number_of_images=2)), no_progress
    )
    keep = pixels(mask)[..., 0] == 255
    for out in result.images:
        assert out.size == image.size
        assert np.array_equal(pixels(out)[keep], pixels(image)[keep])
        assert not np.array_equal(pixels(out)[~keep], pixels(image)[~keep])
    assert result.masks == [mask]


def test_inpaint_with_mask_prompt_changes_only_the_text_mask_and_returns_it(tiny):
    image = gradient(200, 120)
    result = tiny.run(InpaintTask(image=image, mask_prompt="the cat", return_mask=True), no_progress)
    (mask,) = result.masks
    assert mask.mode == "L" and mask.size == image.size
    values = np.asarray(mask)
    assert set(np.unique(values)) <= {0, 255} and (values == 0).any()
    keep = values == 255
    assert np.array_equal(pixels(result.images[0])[keep], pixels(image)[keep])
    assert not np.array_equal(pixels(result.images[0])[~keep], pixels(image)[~keep])


def test_outpaint_with_mask_prompt_keeps_the_named_region(tiny):
    image = gradient(160, 160)
    task = OutpaintTask(
        image=image, prompt="a beach", mask_prompt="the cat", mode=OutpaintMode.PRECISE, return_mask=True
    )
    result = tiny.run(task, no_progress)
    kept = np.asarray(result.masks[0]) == 0  # black = keep
    assert kept.any()
    assert np.array_equal(pixels(result.images[0])[kept], pixels(image)[kept])


def test_real_weights_without_a_text_mask_model_say_to_send_a_mask_image(tiny):
    real = DiffusionBackend(tiny._pipes["text"], {"steps_standard": 1, "max_pixels": 64 * 64})  # type: ignore[index]
    with pytest.raises(ValidationError, match="send a maskImage"):
        real.run(InpaintTask(image=gradient(64, 64), mask_prompt="the cat"), no_progress)
    condition = Conditioning(image=gradient(64, 64), mode=ControlMode.SEGMENTATION)
    with pytest.raises(ValidationError, match="controlnet_seg"):
        real.run(TextToImageTask(prompt="a lamp", conditioning=condition), no_progress)


def checkerboard(size: int, cell: int) -> Image.Image:
    y, x = np.mgrid[0:size, 0:size]
    return Image.fromarray(((((x // cell) + (y // cell)) % 2) * 255).astype(np.uint8)).convert("RGB")


def test_canny_edges_are_binary_at_the_working_size():
    edges = controlnet.canny_edges(checkerboard(400, 50), (320, 256))
    values = np.asarray(edges)
    assert edges.size == (320, 256) and edges.mode == "RGB"
    assert set(np.unique(values)) == {0, 255}
    assert 0.005 < (values[..., 0] == 255).mean() < 0.2  # thin lines along the cell borders, not filled areas
    flat = np.asarray(controlnet.canny_edges(Image.new("RGB", (64, 64), (90, 90, 90)), (64, 64)))
    assert not flat.any()


def test_segmentation_map_keeps_only_its_dominant_colours():
    noisy = np.asarray(checkerboard(128, 32), dtype=np.int16)
    noisy = noisy + np.random.default_rng(0).integers(-3, 4, noisy.shape)
    seg = controlnet.segmentation_map(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)), (64, 64), colours=2)
    assert seg.size == (64, 64)
    assert len(np.unique(np.asarray(seg).reshape(-1, 3), axis=0)) == 2


@pytest.mark.parametrize("mode", list(ControlMode))
def test_conditioning_changes_the_image_and_strength_zero_is_unconditioned(tiny, mode):
    plain = tiny.run(TextToImageTask(prompt="a lamp", config=config(seed=4)), no_progress).images[0]
    outputs = {}
    for strength in (0.0, 1.0):
        task = TextToImageTask(
            prompt="a lamp", conditioning=Conditioning(checkerboard(320, 40), mode, strength), config=config(seed=4)
        )
        outputs[strength] = tiny.run(task, no_progress).images[0]
    assert outputs[1.0].size == (320, 320)
    assert np.abs(pixels(outputs[0.0]) - pixels(plain)).max() <= 2
    assert np.abs(pixels(outputs[1.0]) - pixels(plain)).mean() > 1
    assert np.abs(pixels(outputs[1.0]) - pixels(outputs[0.0])).mean() > 1


def test_precise_outpaint_keeps_the_region_exactly_on_an_odd_canvas(tiny):
    image = gradient(333, 250)  # neither side a multiple of 8
    mask = box_mask(image.size, (120, 80, 220, 170), inside=0)  # black = keep
    task = OutpaintTask(image=image, prompt="a beach", mask=mask, mode=OutpaintMode.PRECISE, return_mask=True)
    result = tiny.run(task, no_progress)
    out, kept = result.images[0], pixels(mask)[..., 0] == 0
    assert out.size == image.size
    assert np.array_equal(pixels(out)[kept], pixels(image)[kept])
    assert not np.array_equal(pixels(out)[~kept], pixels(image)[~kept])
    assert result.masks == [mask]


def test_default_outpaint_blends_only_near_the_edge_and_handles_2048(tiny):
    image = gradient(2048, 2048)
    mask = box_mask(image.size, (512, 512, 1536, 1536), inside=0)
    out = tiny.run(OutpaintTask(image=image, prompt="a beach", mask=mask), no_progress).images[0]
    assert out.size == (2048, 2048)
    core = (slice(600, 1450), slice(600, 1450))  # well inside the kept box, past the feathered seam
    assert np.array_equal(pixels(out)[core], pixels(image)[core])


def test_variation_similarity_one_stays_closer_than_point_two(tiny):
    # The tiny VAE is random, so even a perfect copy comes back as its VAE round trip: measure against that.
    reference = gradient(320, 320)
    pipe = tiny._pipes["image"]  # type: ignore[index]
    near = tiny.run(ImageVariationTask(images=(reference,), similarity_strength=1.0, config=config()), no_progress)
    far = tiny.run(ImageVariationTask(images=(reference,), similarity_strength=0.2, config=config()), no_progress)
    round_trip = _vae_round_trip(pipe, reference, tiny.working_size(320, 320)).resize((320, 320))
    near_diff = np.abs(pixels(near.images[0]) - pixels(round_trip)).mean()
    far_diff = np.abs(pixels(far.images[0]) - pixels(round_trip)).mean()
    assert near_diff < far_diff


def _vae_round_trip(pipe, image: Image.Image, size: tuple[int, int]) -> Image.Image:
    import torch

    with torch.inference_mode():
        tensor = pipe.image_processor.preprocess(image.convert("RGB").resize(size))
        latents = pipe.vae.encode(tensor).latent_dist.mode()
        return pipe.image_processor.postprocess(pipe.vae.decode(latents).sample)[0]


def dominant_colours(image: Image.Image, k: int = 3, rounds: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(centres, weights) of a small k-means over the pixels, seeded from brightness quantiles (deterministic)."""
    points = pixels(image).reshape(-1, 3)[::7]
    order = np.argsort(points.sum(axis=1))
    centres = points[order[np.linspace(0, len(points) - 1, k).astype(int)]]
    for _ in range(rounds):
        labels = ((points[:, None, :] - centres) ** 2).sum(-1).argmin(1)
        centres = np.array([points[labels == i].mean(0) if np.any(labels == i) else centres[i] for i in range(k)])
    return centres, np.bincount(labels, minlength=k) / len(labels)


def palette_distance(image: Image.Image, palette: np.ndarray) -> float:
    centres, weights = dominant_colours(image)
    nearest = np.sqrt(((centres[:, None, :] - palette) ** 2).sum(-1)).min(1)
    return float((nearest * weights).sum())


def test_colour_guidance_moves_the_dominant_colours_to_the_palette(tiny):
    colours = ("#D62828", "#003049", "#FCBF49")
    guided = tiny.run(ColorGuidedTask(prompt="a poster", colors=colours, config=config()), no_progress)
    plain = tiny.run(TextToImageTask(prompt="a poster", config=config()), no_progress)
    palette = np.array(ColorGuidedTask(prompt="", colors=colours).rgb(), dtype=np.float64)
    assert guided.images[0].size == (320, 320)
    assert palette_distance(guided.images[0], palette) < 0.8 * palette_distance(plain.images[0], palette)


def test_nova_canvas_over_boto3(tmp_path, models_dir, monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "diffusion", "outcrop.backends.diffusion:load")
    (tmp_path / "catalog.toml").write_text(OVERLAY)
    with start_server(home=tmp_path, models_dir=models_dir, profile="tiny") as server:
        runtime = server.client("bedrock-runtime")
        text = _invoke(
            runtime,
            {
                "taskType": "TEXT_IMAGE",
                "textToImageParams": {"text": "a lighthouse", "style": "DESIGN_SKETCH"},
                "imageGenerationConfig": {"numberOfImages": 2, "width": 512, "height": 320, "seed": 5},
            },
        )
        assert text["error"] is None
        assert [_decode(b).size for b in text["images"]] == [(512, 320)] * 2
        image, mask = gradient(320, 320), box_mask((320, 320), (100, 100, 200, 200), inside=0).convert("RGB")
        inpaint = _invoke(
            runtime,
            {
                "taskType": "INPAINTING",
                "inPaintingParams": {"image": _encode(image), "maskImage": _encode(mask), "returnMask": True},
            },
        )
        out = _decode(inpaint["images"][0])
        assert out.size == (320, 320)
        # Outside the mask only the server's invisible watermark (safety/watermark.py, a few levels) differs.
        outside, inside = (
            np.abs(pixels(out) - pixels(image))[:100],
            np.abs(pixels(out) - pixels(image))[100:200, 100:200],
        )
        assert outside.mean() < 2 and outside.max() <= 12
        assert inside.mean() > 4 * outside.mean()
        assert np.array_equal(pixels(_decode(inpaint["maskImage"])), pixels(mask))


def _invoke(runtime, body: dict) -> dict:
    response = runtime.invoke_model(
        modelId="amazon.nova-canvas-v1:0",
        body=json.dumps(body),
        accept="application/json",
        contentType="application/json",
    )
    return json.loads(response["body"].read())


def _encode(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _decode(data: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(data)))


def test_sixteen_bit_input_is_scaled_not_clipped_to_white(tiny):
    """A 16-bit greyscale PNG (mode I;16) keeps its tones: pixels outside the mask come back as value / 257."""
    wide = (np.linspace(0, 65535, 300, dtype=np.float64)[None, :].repeat(200, axis=0)).astype(np.uint16)
    image = Image.fromarray(wide)
    mask = box_mask(image.size, (100, 50, 200, 150), inside=0)
    out = tiny.run(InpaintTask(image=image, mask=mask, config=config()), no_progress).images[0]
    keep = pixels(mask)[..., 0] == 255
    expected = np.round(wide / 257.0).astype(np.uint8)
    assert np.array_equal(pixels(out)[..., 0][keep], expected[keep])
    assert 100 < pixels(out)[..., 0][keep].mean() < 155  # a plain convert("RGB") clips nearly all to 255


def test_canny_edges_of_a_sixteen_bit_image_are_found():
    wide = np.zeros((64, 64), dtype=np.uint16)
    wide[:, 32:] = 40000  # a step at a level that clips to 255 everywhere when converted naively
    wide[:, :32] = 20000
    edges = controlnet.canny_edges(Image.fromarray(wide), (64, 64))
    assert np.asarray(edges).max() == 255
