"""Input/output content filters: Bedrock's exact messages, normalised whole-phrase matching, overrides, overlay."""

from __future__ import annotations

import pytest
from PIL import Image

from outcrop.errors import ValidationError
from outcrop.families.amazon_image.encode import outputs_message
from outcrop.safety import ContentFilter, FilterRules, images_of, texts_of
from outcrop.tasks import (
    ColorGuidedTask,
    ConverseTask,
    EmbedTask,
    InpaintTask,
    OutpaintTask,
    RemoveBackgroundTask,
    TextToImageTask,
    TextToVideoTask,
    VirtualTryOnTask,
)
from outcrop.tasks.converse import Message, Role
from outcrop.tasks.text_to_video import VideoShot

CANVAS = "amazon.nova-canvas-v1:0"
TEXT_MESSAGE = (
    "This request has been blocked by our content filters. Please adjust your text prompt to submit a new request."
)
IMAGE_MESSAGE = (
    "This request has been blocked by our content filters. Please adjust your input image to submit a new request."
)


@pytest.fixture(scope="module")
def builtin() -> ContentFilter:
    return ContentFilter(FilterRules.load())


@pytest.mark.parametrize(
    "prompt",
    [
        "Mickey Mouse riding a bicycle",
        "Mickey   MOUSE!",
        "a drawing of m1ckey mouse",
        "M.I.C.K.E.Y. Mouse at the beach",
        "MickeyMouse plush toy",
        "ｍｉｃｋｅｙ ｍｏｕｓｅ",  # fullwidth letters (NFKC)
        "Pokémon cards",
        "a spiderman costume",
        "mickey mouse's ears",
    ],
)
def test_blocked_prompts_raise_bedrocks_message(builtin, prompt):
    with pytest.raises(ValidationError) as caught:
        builtin.check_text(CANVAS, [prompt])
    assert caught.value.message == TEXT_MESSAGE
    assert str(caught.value) == TEXT_MESSAGE


@pytest.mark.parametrize(
    "prompt",
    [
        "a cartoon mouse in a red hat",
        "a disneyland-style castle at dusk",  # "disney" only as a whole word
        "a spider on a man's shoulder",
        "a marvelous sunset, 4k",
        "Wow! A cat with 3 kittens",
        "hentaigana calligraphy",  # a Japanese script; "hentai" must be a whole word
    ],
)
def test_harmless_prompts_pass(builtin, prompt):
    builtin.check_text(CANVAS, [prompt])


def test_per_model_override_allows_and_blocks():
    rules = FilterRules.load().overlay(
        FilterRules.from_document(
            {
                "rules": {
                    "amazon.titan-image-generator-v1": {"allowed": ["Mickey Mouse"], "blocked": ["teapot"]},
                    "amazon.nova-reel-v1:0": {"enabled": False},
                }
            }
        )
    )
    guard = ContentFilter(rules)
    guard.check_text("amazon.titan-image-generator-v1", ["mickey mouse"])
    with pytest.raises(ValidationError):
        guard.check_text("amazon.titan-image-generator-v1", ["a Teapot"])
    guard.check_text(CANVAS, ["a teapot"])  # only that model blocks it
    with pytest.raises(ValidationError):
        guard.check_text(CANVAS, ["mickey mouse"])
    guard.check_text("amazon.nova-reel-v1:0", ["mickey mouse", "porn"])


def test_toml_overlay_from_home(tmp_path):
    (tmp_path / "safety.toml").write_text(
        'check_negative = false\n[rules."*"]\nblocked = ["Blue  Gnome"]\nallowed = ["disney"]\n', "utf-8"
    )
    guard = ContentFilter(FilterRules.for_home(tmp_path))
    with pytest.raises(ValidationError):
        guard.check_text(CANVAS, ["a blue gnome!"])
    guard.check_text(CANVAS, ["Disney style"])
    with pytest.raises(ValidationError):
        guard.check_text(CANVAS, ["mickey mouse"])  # built-in terms stay
    guard.check_task(CANVAS, TextToImageTask(prompt="a garden", negative_prompt="blue gnome"))
    assert ContentFilter(FilterRules.for_home(tmp_path / "absent")).rules == FilterRules.load()


def test_bad_toml_names_the_file(tmp_path):
    (tmp_path / "safety.toml").write_text('[rules."*"]\nblock = ["x"]\n', "utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        FilterRules.for_home(tmp_path)
    (tmp_path / "safety.toml").write_text("not = [toml", "utf-8")
    with pytest.raises(ValueError, match=r"safety\.toml"):
        FilterRules.for_home(tmp_path)


def test_texts_of_every_task():
    image = Image.new("RGB", (64, 64))
    assert texts_of(TextToImageTask(prompt="a", negative_prompt="b")) == ["a", "b"]
    assert texts_of(TextToImageTask(prompt="a", negative_prompt="b"), negative=False) == ["a"]
    assert texts_of(InpaintTask(image=image, mask_prompt="m", prompt="p", negative_prompt="n")) == ["p", "n", "m"]
    assert texts_of(OutpaintTask(image=image, prompt="p", mask_prompt="m")) == ["p", "m"]
    assert texts_of(ColorGuidedTask(prompt="p", colors=("#ff0000",))) == ["p"]
    assert texts_of(
        VirtualTryOnTask(source_image=image, reference_image=image, mask_type="PROMPT", mask_prompt="m")
    ) == ["m"]
    assert texts_of(TextToVideoTask(shots=(VideoShot("one"), VideoShot("two")))) == ["one", "two"]
    chat = ConverseTask(messages=(Message(Role.USER, "hi"),), system=("sys",))
    assert texts_of(chat) == ["sys", "hi"]
    assert texts_of(EmbedTask(text="mickey mouse", image=None)) == []
    assert texts_of(RemoveBackgroundTask(image=image)) == []


def test_check_task_blocks_negative_prompt_by_default(builtin):
    with pytest.raises(ValidationError, match="text prompt"):
        builtin.check_task(CANVAS, TextToImageTask(prompt="a park", negative_prompt="Mickey Mouse"))
    with pytest.raises(ValidationError, match="text prompt"):
        builtin.check_task(CANVAS, TextToVideoTask(shots=(VideoShot("a park"), VideoShot("then pikachu appears"))))


class _FlagsRed:
    def flagged(self, image: Image.Image) -> bool:
        return image.getpixel((0, 0)) == (255, 0, 0)


def test_image_classifier_plug_in():
    red, blue = Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))
    guard = ContentFilter(FilterRules.load(), input_classifiers=[_FlagsRed()], output_classifiers=[_FlagsRed()])
    guard.check_images(CANVAS, [blue])
    with pytest.raises(ValidationError) as caught:
        guard.check_task(CANVAS, InpaintTask(image=red, prompt="a tree", mask_prompt="sky"))
    assert caught.value.message == IMAGE_MESSAGE
    kept, blocked = guard.filter_outputs(CANVAS, [red, blue, red])
    assert (kept, blocked) == ([blue], 2)
    assert (
        outputs_message(len(kept), blocked) == "Some of the generated images have been blocked by our content filters."
    )
    assert outputs_message(0, 2) == "All of the generated images have been blocked by our content filters."
    assert outputs_message(3, 0) is None
    assert ContentFilter(FilterRules.load()).filter_outputs(CANVAS, [red]) == ([red], 0)  # none registered
    assert images_of(VirtualTryOnTask(source_image=red, reference_image=blue, mask_type="GARMENT")) == [red, blue]
