"""Stability AI's edit services through unmodified boto3 on the tiny profile (seeded tiny models: the pixels are
noise; sizes, formats, seeds and refusals are what is tested), and golden values for the new task paths."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import numpy as np
import pytest
from PIL import Image

from outcrop.backends import canvas, diffusion, mask_growth
from outcrop.backends.base import LoadSpec, no_progress
from outcrop.tasks import EraseTask, ExtendTask, InpaintTask
from outcrop.tasks.generation import GenerationConfig
from support.images import jpeg_b64, png_b64

WIDTH, HEIGHT = 128, 96
IMAGE = png_b64(WIDTH, HEIGHT, (120, 160, 200))
INPAINT = "stability.stable-image-inpaint-v1:0"
OUTPAINT = "stability.stable-outpaint-v1:0"
ERASE = "stability.stable-image-erase-object-v1:0"
REPLACE = "stability.stable-image-search-replace-v1:0"
RECOLOR = "stability.stable-image-search-recolor-v1:0"
REMOVE_BG = "stability.stable-image-remove-background-v1:0"


def b64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def white_box_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> str:
    """Stability AI's convention: white where to edit."""
    mask = Image.new("L", size, 0)
    mask.paste(255, box)
    return b64(mask)


MASK = white_box_mask((WIDTH, HEIGHT), (40, 30, 90, 70))


def with_hole() -> str:
    """An RGBA photo whose transparent box marks what to edit (no mask field)."""
    image = Image.new("RGBA", (WIDTH, HEIGHT), (90, 140, 60, 255))
    image.paste((0, 0, 0, 0), (20, 20, 60, 60))
    return b64(image)


def invoke(runtime, model: str, body: dict) -> tuple[dict, list[Image.Image]]:
    reply = json.loads(runtime.invoke_model(modelId=model, body=json.dumps(body))["body"].read())
    assert set(reply) == {"seeds", "finish_reasons", "images"}
    images = [Image.open(io.BytesIO(base64.b64decode(data))) for data in reply["images"]]
    for image in images:
        image.load()
    return reply, images


@pytest.mark.parametrize(
    ("model", "body", "size"),
    [
        (INPAINT, {"prompt": "a red door", "image": IMAGE, "mask": MASK, "seed": 11}, (WIDTH, HEIGHT)),
        (INPAINT, {"prompt": "", "image": with_hole(), "grow_mask": 0, "negative_prompt": "blur",
                   "style_preset": "photographic", "seed": 11}, (WIDTH, HEIGHT)),
        (OUTPAINT, {"image": IMAGE, "left": 16, "right": 8, "down": 24, "prompt": "a meadow", "creativity": 0.7,
                    "seed": 11}, (WIDTH + 24, HEIGHT + 24)),
        (ERASE, {"image": IMAGE, "mask": MASK, "grow_mask": 3, "seed": 11}, (WIDTH, HEIGHT)),
        (ERASE, {"image": with_hole(), "seed": 11}, (WIDTH, HEIGHT)),
        (REPLACE, {"prompt": "a jacket", "search_prompt": "sweater", "image": IMAGE, "seed": 11}, (WIDTH, HEIGHT)),
        (RECOLOR, {"prompt": "a pink jacket", "select_prompt": "jacket", "image": jpeg_b64(WIDTH, HEIGHT),
                   "grow_mask": 8, "seed": 11}, (WIDTH, HEIGHT)),
        (REMOVE_BG, {"image": IMAGE}, (WIDTH, HEIGHT)),
        ("us." + INPAINT, {"prompt": "a red door", "image": IMAGE, "mask": MASK, "seed": 11}, (WIDTH, HEIGHT)),
    ],
    ids=["inpaint", "inpaint-alpha", "outpaint", "erase", "erase-alpha", "search-replace", "search-recolor",
         "remove-background", "us-inpaint"],
)  # fmt: skip
def test_each_service_answers_one_image_of_the_right_size(runtime, model, body, size):
    reply, images = invoke(runtime, model, body)
    assert reply["finish_reasons"] == [None]
    assert reply["seeds"] == [0 if model == REMOVE_BG else 11]
    assert len(images) == 1
    assert images[0].format == "PNG"
    assert images[0].size == size


def test_remove_background_keeps_an_alpha_channel(runtime):
    _, (image,) = invoke(runtime, REMOVE_BG, {"image": IMAGE, "output_format": "webp"})
    assert image.format == "WEBP" and image.mode == "RGBA"


@pytest.mark.parametrize(("output_format", "pillow_format"), [("jpeg", "JPEG"), ("webp", "WEBP"), ("png", "PNG")])
def test_output_format_is_honoured(runtime, output_format, pillow_format):
    body = {"prompt": "a red door", "image": IMAGE, "mask": MASK, "output_format": output_format}
    _, (image,) = invoke(runtime, INPAINT, body)
    assert image.format == pillow_format and image.size == (WIDTH, HEIGHT)


def test_seed_zero_or_none_picks_one_and_reports_it(runtime):
    for body in ({"image": IMAGE, "mask": MASK}, {"image": IMAGE, "mask": MASK, "seed": 0}):
        reply, _ = invoke(runtime, ERASE, body)
        assert 1 <= reply["seeds"][0] <= 4_294_967_294


def test_the_reported_seed_reproduces_the_image(runtime):
    first, (image,) = invoke(runtime, INPAINT, {"prompt": "a lamp", "image": IMAGE, "mask": MASK})
    again, (same,) = invoke(runtime, INPAINT, {"prompt": "a lamp", "image": IMAGE, "mask": MASK,
                                               "seed": first["seeds"][0]})  # fmt: skip
    assert again["seeds"] == first["seeds"]
    assert np.array_equal(np.asarray(image), np.asarray(same))


def test_a_mask_of_another_size_is_resized(runtime):
    body = {"prompt": "a red door", "image": IMAGE, "mask": white_box_mask((64, 48), (10, 10, 40, 30))}
    _, (image,) = invoke(runtime, INPAINT, body)
    assert image.size == (WIDTH, HEIGHT)


def test_outside_the_grown_mask_the_original_pixels_are_kept(runtime):
    _, (image,) = invoke(runtime, INPAINT, {"prompt": "", "image": IMAGE, "mask": MASK, "grow_mask": 4})
    pixels = np.asarray(image.convert("RGB")).astype(int)
    # far from the box (more than grow_mask + its feather), the watermark is the only change
    assert np.abs(pixels[:10, :] - (120, 160, 200)).max() <= 8


BIG = png_b64(3000, 3000, (10, 20, 30))
V = "ValidationException"


@pytest.mark.parametrize(
    ("model", "body", "says"),
    [
        (INPAINT, {"prompt": "a door", "mask": MASK}, "required key [image] not found"),
        (ERASE, {"image": IMAGE, "mask": MASK, "grow_mask": 21}, "#/grow_mask: 21 is not less or equal to 20"),
        (REPLACE, {"prompt": "x", "search_prompt": "y", "image": IMAGE, "grow_mask": -1},
         "#/grow_mask: -1 is not greater or equal to 0"),
        (INPAINT, {"prompt": "a door", "image": png_b64(48, 48), "mask": MASK}, "at least 64 pixels"),
        (ERASE, {"image": png_b64(192, 64), "mask": MASK}, "within 2.5 times of each other"),
        (INPAINT, {"prompt": "a door", "image": IMAGE, "mask": MASK, "strength": 0.5},
         "extraneous key [strength] is not permitted"),
        (REMOVE_BG, {"image": IMAGE, "output_format": "gif"}, "gif is not a valid enum value (expected one of: png"),
        (INPAINT, {"prompt": "a door", "image": IMAGE}, "send mask (white where to inpaint"),
        (ERASE, {"image": IMAGE}, "send mask (white where to erase"),
        (REPLACE, {"prompt": "a jacket", "image": IMAGE}, "required key [search_prompt] not found"),
        (RECOLOR, {"prompt": "pink", "image": IMAGE, "search_prompt": "jacket"},
         "extraneous key [search_prompt] is not permitted"),
        (OUTPAINT, {"image": IMAGE}, "at least one above 0"),
        (OUTPAINT, {"image": IMAGE, "left": 2001}, "#/left: 2001 is not less or equal to 2000"),
        (OUTPAINT, {"image": IMAGE, "up": 10, "creativity": 0.05}, "#/creativity: 0.05 is not greater or equal"),
        (OUTPAINT, {"image": BIG, "left": 2000, "right": 2000}, "send smaller left/right/up/down"),
        (OUTPAINT, {"image": IMAGE, "left": 10, "negative_prompt": "x"}, "extraneous key [negative_prompt]"),
        (INPAINT, {"prompt": "a door", "image": IMAGE, "mask": MASK, "style_preset": "watercolour"},
         "watercolour is not a valid enum value"),
        (ERASE, {"image": IMAGE, "mask": MASK, "seed": 4_294_967_295}, "is not less or equal to 4294967294"),
    ],
    ids=["missing-image", "grow-mask-high", "grow-mask-negative", "too-small", "aspect-3-1", "unknown-key",
         "bad-output-format", "inpaint-no-mask", "erase-no-mask", "missing-search-prompt", "recolor-search-key",
         "outpaint-no-direction", "outpaint-margin", "outpaint-creativity", "outpaint-canvas", "outpaint-negative",
         "bad-style-preset", "seed-range"],
)  # fmt: skip
def test_each_rule_is_a_validation_exception_saying_what_to_send(runtime, model, body, says):
    with pytest.raises(runtime.exceptions.ClientError) as caught:
        runtime.invoke_model(modelId=model, body=json.dumps(body))
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == V
    assert says in error["Message"]


# ---- golden values: fixed seed in, expected pixels out (the tiny diffusion model, one thread) --------------------


@pytest.fixture(scope="module")
def tiny_diffusion():
    return diffusion.load(LoadSpec(weights="tiny-diffusion", weights_dir=None, threads=1))


def photo(size: tuple[int, int] = (WIDTH, HEIGHT)) -> Image.Image:
    pixels = np.random.default_rng(5).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def box(size: tuple[int, int], area: tuple[int, int, int, int], fill: int = 255, ground: int = 0) -> Image.Image:
    mask = Image.new("L", size, ground)
    mask.paste(fill, area)
    return mask


def digest(image: Image.Image) -> str:
    return hashlib.sha256(np.asarray(image.convert("RGB")).tobytes()).hexdigest()[:16]


def test_golden_extend(tiny_diffusion):
    task = ExtendTask(image=photo(), left=16, up=8, prompt="a meadow", creativity=0.6,
                      config=GenerationConfig(seed=21))  # fmt: skip
    (image,) = tiny_diffusion.run(task, no_progress).images
    assert image.size == (WIDTH + 16, HEIGHT + 8)
    assert np.array_equal(np.asarray(image)[8:, 16:], np.asarray(photo()))  # the original, exactly
    assert digest(image) == GOLDEN_EXTEND


def test_golden_erase_on_the_diffusion_fallback(tiny_diffusion):
    task = EraseTask(image=photo(), mask=box((WIDTH, HEIGHT), (40, 30, 90, 70)), grow_mask=5,
                     config=GenerationConfig(seed=21))  # fmt: skip
    (image,) = tiny_diffusion.run(task, no_progress).images
    assert np.array_equal(np.asarray(image)[:20], np.asarray(photo())[:20])  # beyond the grown mask: untouched
    assert digest(image) == GOLDEN_ERASE


def test_golden_inpaint_with_a_grown_mask(tiny_diffusion):
    mask = box((WIDTH, HEIGHT), (40, 30, 90, 70), fill=0, ground=255)  # InpaintTask: black = change
    task = InpaintTask(image=photo(), mask=mask, prompt="a red door", grow_mask=6, config=GenerationConfig(seed=21))
    (image,) = tiny_diffusion.run(task, no_progress).images
    assert digest(image) == GOLDEN_INPAINT_GROWN


GOLDEN_EXTEND = "5565f00bb9950bea"
GOLDEN_ERASE = "58eff4f33a399038"
GOLDEN_INPAINT_GROWN = "c55fa7f7c4576994"


# ---- the pixel helpers the new paths use ---------------------------------------------------------------------


def test_grow_widens_and_feathers_but_keeps_the_core():
    mask = box((64, 64), (24, 24, 40, 40))
    grown = np.asarray(mask_growth.grow(mask, 6))
    assert (grown[24:40, 24:40] == 255).all()
    assert grown[32, 20] > 0 and grown[32, 14] == 0  # 4 px out: inside the band; 10 px out: beyond it
    assert mask_growth.grow(mask, 0) is mask


def test_extend_canvas_puts_the_image_inside_a_border_to_repaint():
    start, repaint = canvas.extend(photo((64, 64)), 10, 0, 0, 5)
    assert start.size == repaint.size == (74, 69)
    assert np.array_equal(np.asarray(start)[:64, 10:], np.asarray(photo((64, 64))))
    assert np.asarray(repaint)[:64, 10:].max() == 0 and np.asarray(repaint)[:, :10].min() == 255


def test_the_input_filter_sees_the_new_tasks_prompts_and_images():
    from outcrop.safety.filters import images_of, texts_of

    image = photo()
    extend = ExtendTask(image=image, left=8, prompt="a meadow", negative_prompt="fog")
    erase = EraseTask(image=image, mask=box(image.size, (0, 0, 8, 8)))
    assert texts_of(extend) == ["a meadow", "fog"] and texts_of(extend, negative=False) == ["a meadow"]
    assert images_of(extend) == [image] and images_of(erase) == [image]
