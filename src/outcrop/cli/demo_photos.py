"""The photos `outcrop demo` catalogues: real ones from scikit-image's data folder when it is installed, else
plain generated images (and the demo says so)."""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# Photographs (not test charts) of varied subjects, so that a text search has something to tell apart; each side is
# at least 300 px. coffee.png is what the demo's search asks for and the photo it edits.
SKIMAGE_PHOTOS = ("coffee.png", "chelsea.png", "astronaut.png", "rocket.jpg", "motorcycle_left.png",
                  "hubble_deep_field.jpg")  # fmt: skip
EDITED_PHOTO = "coffee.png"
_GENERATED = {  # name -> (top colour, bottom colour) of a vertical gradient
    "coffee.png": ((92, 58, 36), (236, 222, 200)),
    "sky.png": ((40, 90, 200), (220, 235, 250)),
    "grass.png": ((30, 110, 40), (170, 210, 90)),
    "sunset.png": ((250, 120, 40), (90, 30, 90)),
    "slate.png": ((60, 64, 70), (60, 64, 70)),
}


@dataclass(frozen=True)
class Catalogue:
    photos: list[Path]
    real: bool  # False: generated gradients, because no photos were found
    source: str  # where they came from, said in the output


def skimage_data() -> Path | None:
    """scikit-image's bundled data folder, found without importing the package (which is slow)."""
    try:
        spec = importlib.util.find_spec("skimage")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if folder.is_dir() else None


def copy_catalogue(dest: Path, data: Path | None = None) -> Catalogue:
    """Copy the demo photos into `dest` (a new, empty folder); generate gradients when none are installed."""
    dest.mkdir(parents=True, exist_ok=True)
    data = data if data is not None else skimage_data()
    found = [data / name for name in SKIMAGE_PHOTOS if data is not None and (data / name).is_file()]
    if len(found) >= 5 and data is not None:
        return Catalogue([Path(shutil.copy2(path, dest / path.name)) for path in found], True, str(data))
    made = [_gradient(dest / name, top, bottom) for name, (top, bottom) in _GENERATED.items()]
    return Catalogue(made, False, "generated gradients (scikit-image, whose sample photos the demo uses, is missing)")


def _gradient(path: Path, top: tuple[int, int, int], bottom: tuple[int, int, int], size: int = 512) -> Path:
    image = Image.new("RGB", (size, size))
    for y in range(size):
        t = y / (size - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        image.paste(colour, (0, y, size, y + 1))
    image.save(path)
    return path
