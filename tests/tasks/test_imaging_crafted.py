"""open_image on crafted files: every bad one is a ValidationError saying what to send, every odd valid one
decodes into an image each consumer (to_rgb, masks, PNG encoding) can use."""

from __future__ import annotations

import pytest

from outcrop.errors import ValidationError
from outcrop.tasks.imaging import ImageLimits, binary_mask, encode_png, open_image, to_rgb
from support.crafted_images import accepted, refused

REFUSED = refused()
ACCEPTED = accepted()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_crafted_file_is_a_validation_error(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        open_image(REFUSED[name], "image", ImageLimits())
    assert "send" in caught.value.message
    assert "object at 0x" not in caught.value.message  # Pillow's repr of the stream is not a reason


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_odd_valid_file_decodes_for_every_consumer(name: str) -> None:
    image = open_image(ACCEPTED[name], "image", ImageLimits())
    assert image.format in {"PNG", "JPEG"}
    assert to_rgb(image).mode == "RGB"
    assert encode_png(image).startswith(b"\x89PNG")
    binary_mask(image.convert("1").convert("RGB"), image, "mask")


def test_exif_orientation_is_applied_and_format_kept() -> None:
    image = open_image(ACCEPTED["exif_rotated"], "image", ImageLimits())
    assert image.size == (4, 8)
    assert image.format == "JPEG"


def test_bomb_header_names_the_limit() -> None:
    with pytest.raises(ValidationError, match="send at most 4,194,304 pixels"):
        open_image(REFUSED["bomb_header_100k"], "image", ImageLimits())


def test_cmyk_becomes_rgb() -> None:
    assert open_image(ACCEPTED["cmyk_jpeg"], "image", ImageLimits()).mode == "RGB"
