"""Generate a video from one or more shots, each a prompt and optional first and last frames."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from PIL.Image import Image

from outcrop.tasks.kinds import TaskKind

SHOT_SECONDS = 6


class VideoMode(StrEnum):
    SINGLE_SHOT = "TEXT_VIDEO"
    MULTI_SHOT_AUTOMATED = "MULTI_SHOT_AUTOMATED"
    MULTI_SHOT_MANUAL = "MULTI_SHOT_MANUAL"


@dataclass(frozen=True)
class VideoShot:
    """`image` is the shot's first frame and `end_image` its last (Luma Ray's keyframes frame0 / frame1)."""

    prompt: str
    image: Image | None = None
    end_image: Image | None = None


@dataclass(frozen=True)
class TextToVideoTask:
    """For MULTI_SHOT_AUTOMATED, `shots` holds the one long prompt; the backend splits it.

    `width` x `height` at `fps` for `duration_seconds` is what the MP4 delivers (Nova Reel: 1280x720 at 24 fps;
    Luma Ray: its resolution and aspect ratio); every shot lasts an equal share of the duration. `loop` asks for a
    video whose last frame leads back into its first, so it plays seamlessly on repeat.
    """

    shots: tuple[VideoShot, ...]
    duration_seconds: int = SHOT_SECONDS
    fps: int = 24
    width: int = 1280
    height: int = 720
    seed: int = 42
    mode: VideoMode = VideoMode.SINGLE_SHOT
    loop: bool = False
    kind: TaskKind = TaskKind.TEXT_TO_VIDEO

    def shot_seconds(self, shots: int) -> float:
        """How long each of `shots` equal shots lasts (Nova Reel: 6 s each; Luma Ray: its one shot, 5 or 9 s)."""
        return self.duration_seconds / max(1, shots)


@dataclass(frozen=True)
class VideoResult:
    """Frames per shot as the model generated them: arrays (frames, height, width, 3) of uint8 RGB at `fps`.

    Models generate fewer, smaller frames than Nova Reel delivers; the encoder resizes each shot to the task's
    size and retimes it to the task's fps and shot length while it writes the MP4, one frame at a time.
    """

    shots: tuple[np.ndarray, ...]
    fps: int

    @property
    def frame_count(self) -> int:
        return sum(len(shot) for shot in self.shots)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def split_into_shots(text: str, count: int) -> list[str]:
    """Split MULTI_SHOT_AUTOMATED's one long prompt into `count` shot prompts, in order.

    The text is cut into sentences (after `.`, `!` or `?` and whitespace); each shot gets a run of whole,
    contiguous sentences, the cuts placed where the running character count is nearest to an even share, and
    every shot gets at least one sentence. With fewer sentences than shots, each sentence is one shot and the
    remaining shots repeat the last sentence: the story has ended, so the camera stays on its last scene.

    >>> split_into_shots("A fox wakes. It runs. It sleeps.", 2)
    ['A fox wakes.', 'It runs. It sleeps.']
    """
    if count < 1:
        raise ValueError(f"a video needs at least one shot, not {count}")
    sentences = [part for part in _SENTENCE_END.split(text.strip()) if part]
    if not sentences:
        raise ValueError("cannot split an empty prompt into shots")
    if len(sentences) <= count:
        return sentences + [sentences[-1]] * (count - len(sentences))
    cuts = _even_cuts([len(s) for s in sentences], count)
    return [" ".join(sentences[start:end]) for start, end in itertools.pairwise([0, *cuts, len(sentences)])]


def _even_cuts(lengths: list[int], count: int) -> list[int]:
    """count - 1 increasing sentence indices where shots start, each nearest to an even share of characters."""
    running = list(itertools.accumulate(lengths, initial=0))
    cuts: list[int] = []
    for shot in range(1, count):
        target = running[-1] * shot / count
        # Leave at least one sentence for this shot and for each shot after it.
        first, last = (cuts[-1] if cuts else 0) + 1, len(lengths) - (count - shot)
        cuts.append(min(range(first, last + 1), key=lambda i: abs(running[i] - target)))
    return cuts
