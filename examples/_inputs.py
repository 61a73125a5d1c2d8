"""Sample inputs for the examples, drawn with PIL so that nothing has to be downloaded."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image, ImageDraw

# name -> (shape, colour): a small product catalogue for the search lab.
PRODUCTS = {
    "red-mug": ("mug", (200, 30, 40)),
    "blue-sneaker": ("sneaker", (40, 80, 200)),
    "green-vase": ("vase", (40, 150, 70)),
    "yellow-lamp": ("lamp", (235, 190, 30)),
    "black-backpack": ("backpack", (30, 30, 30)),
}


def product(name: str = "red-mug", size: tuple[int, int] = (1024, 1024)) -> Image.Image:
    """A product photo: one flat-coloured object on a light studio background."""
    shape, colour = PRODUCTS[name]
    image = Image.new("RGB", size, (236, 232, 226))
    draw = ImageDraw.Draw(image)
    w, h = size
    box = (w * 0.3, h * 0.3, w * 0.7, h * 0.75)
    if shape == "mug":
        draw.rounded_rectangle(box, radius=w // 40, fill=colour)
        draw.ellipse((w * 0.64, h * 0.4, w * 0.82, h * 0.62), outline=colour, width=max(4, w // 40))
    elif shape == "sneaker":
        draw.polygon(
            [(w * 0.15, h * 0.7), (w * 0.2, h * 0.45), (w * 0.5, h * 0.5), (w * 0.85, h * 0.62), (w * 0.85, h * 0.7)],
            fill=colour,
        )
        draw.rectangle((w * 0.15, h * 0.7, w * 0.85, h * 0.75), fill=(245, 245, 245))
    elif shape == "vase":
        draw.ellipse((w * 0.3, h * 0.4, w * 0.7, h * 0.8), fill=colour)
        draw.rectangle((w * 0.43, h * 0.2, w * 0.57, h * 0.45), fill=colour)
    elif shape == "lamp":
        draw.polygon(
            [(w * 0.35, h * 0.2), (w * 0.65, h * 0.2), (w * 0.75, h * 0.45), (w * 0.25, h * 0.45)], fill=colour
        )
        draw.rectangle((w * 0.48, h * 0.45, w * 0.52, h * 0.75), fill=(60, 60, 60))
        draw.ellipse((w * 0.35, h * 0.72, w * 0.65, h * 0.8), fill=(60, 60, 60))
    else:
        draw.rounded_rectangle(box, radius=w // 10, fill=colour)
        draw.rounded_rectangle((w * 0.38, h * 0.5, w * 0.62, h * 0.68), radius=w // 40, outline=(90, 90, 90), width=4)
    return image


def catalog(folder: Path, size: int = 512) -> list[Path]:
    """Write every sample product as `<name>.png` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.png" for name in PRODUCTS]
    for path in paths:
        product(path.stem, (size, size)).save(path)
    return paths


def on_canvas(image: Image.Image, canvas: tuple[int, int], scale: float = 0.5) -> tuple[Image.Image, Image.Image]:
    """`image` shrunk onto the middle of a larger canvas, and the outpainting mask that keeps it (black = keep)."""
    small = image.resize((int(image.width * scale), int(image.height * scale)))
    left, top = (canvas[0] - small.width) // 2, (canvas[1] - small.height) // 2
    framed = Image.new("RGB", canvas, (236, 232, 226))
    framed.paste(small, (left, top))
    mask = Image.new("RGB", canvas, (255, 255, 255))
    mask.paste((0, 0, 0), (left, top, left + small.width, top + small.height))
    return framed, mask


def b64(image: Image.Image | Path) -> str:
    """Base64 of a PNG, as Bedrock's image fields take it."""
    if isinstance(image, Path):
        return base64.b64encode(image.read_bytes()).decode()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()
