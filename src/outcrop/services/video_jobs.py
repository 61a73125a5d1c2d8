"""The work of one video job (Nova Reel, Luma Ray): generate shots, encode MP4s, sign, stage, commit.

Files are encoded into a private temporary folder, uploaded under a staging prefix outside the job's folder, and
copied into `<location>/<jobId>/` only when all of them exist, `manifest.json` last. A worker killed at any point
leaves either nothing or a complete folder under the job id; the run that takes over writes the same files again
(generation is seeded), so the job completes exactly once with one set of outputs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from outcrop.catalog import Catalog, ModelEntry
from outcrop.errors import ModelError
from outcrop.families.registry import wire_family
from outcrop.jobs.model import Job
from outcrop.jobs.runner import JobContext
from outcrop.runtime.executor import Executor
from outcrop.safety.release import VideoRelease
from outcrop.storage import ArtifactStore
from outcrop.storage.staging import STAGING_ROOT, commit_staged, staging_prefix_for
from outcrop.tasks.text_to_video import TextToVideoTask, VideoResult
from outcrop.tasks.video_codec import encode_mp4, retimed_frames

OUTPUT = "output.mp4"
MANIFEST = "manifest.json"
GENERATE_SHARE = 0.8  # of the progress bar; encoding takes it to ENCODED, upload and commit the rest
ENCODED = 0.95
StoreOpener = Callable[[str], ArtifactStore]


def shot_name(index: int) -> str:
    """`shot_0001.mp4` sorts after `output.mp4`, so "the first .mp4 key" in the job folder is the whole video."""
    return f"shot_{index + 1:04d}.mp4"


def video_task(entry: ModelEntry, model_input: Mapping[str, Any]) -> TextToVideoTask:
    """Re-read a stored job's input with its family's parser (it was validated when the job started)."""
    parse = wire_family(entry.family).parse_async
    task = parse(entry, model_input) if parse is not None else None
    if not isinstance(task, TextToVideoTask):
        raise ModelError(f"{entry.model_id} is not a video model; its job cannot make a video.")
    return task


@dataclass(frozen=True)
class VideoJobHandler:
    catalog: Catalog
    executor: Executor
    release: VideoRelease
    open_store: StoreOpener
    workdir: Path

    def __call__(self, job: Job, context: JobContext) -> None:
        entry = self.catalog.resolve(job.spec.model_id)
        task = video_task(entry, job.spec.model_input)
        result = self._generate(entry, task, context)
        self.workdir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.workdir, prefix=f"job-{job.id}-") as folder:
            files = self._encode(task, result, Path(folder), context)
            context.check()
            contents = {name: path.read_bytes() for name, path in files.items()}  # read once: review and hashes
            asset_id = self.release.record(entry.model_id, task, contents[OUTPUT])
            extra = {"invocationArn": job.arn, "shots": len(result.shots), "reviewAssetId": asset_id}
            manifest = self.release.manifest(entry.model_id, task, contents, extra)
            files[MANIFEST] = Path(folder) / MANIFEST
            files[MANIFEST].write_bytes(manifest)
            self._commit(job, files, context)

    def _generate(self, entry: ModelEntry, task: TextToVideoTask, context: JobContext) -> VideoResult:
        worker = self.executor.worker_for(entry, task)
        result = worker.submit(task, lambda f: context.progress(f * GENERATE_SHARE)).result()
        if not isinstance(result, VideoResult):
            raise ModelError(f"{entry.model_id} returned {type(result).__name__} instead of video frames.")
        return result

    def _encode(self, task: TextToVideoTask, result: VideoResult, folder: Path, context: JobContext) -> dict[str, Path]:
        """output.mp4 (all shots), then one file per shot when there are several; progress per frame written."""
        shots = list(range(len(result.shots)))
        outputs = [(OUTPUT, shots)] + ([(shot_name(i), [i]) for i in shots] if len(shots) > 1 else [])
        per_shot = round(task.fps * task.shot_seconds(len(result.shots)))
        meter = _FrameMeter(context, total=sum(len(part) for _, part in outputs) * per_shot)
        files = {}
        for name, part in outputs:
            files[name] = folder / name
            encode_mp4(meter.count(self.release.mark(self._frames(task, result, part))), task.fps, files[name])
        return files

    def _frames(self, task: TextToVideoTask, result: VideoResult, shots: Sequence[int]) -> Iterator[np.ndarray]:
        # The task's size, rate and shot length (Reel: 1280x720, 24 fps, 6 s shots; Ray: as its request says).
        size, seconds = (task.width, task.height), task.shot_seconds(len(result.shots))
        for index in shots:
            yield from retimed_frames(result.shots[index], result.fps, task.fps, seconds, size)

    def _commit(self, job: Job, files: dict[str, Path], context: JobContext) -> None:
        store = self.open_store(job.spec.output_uri)
        staging = staging_prefix_for(job.id, job.attempts)
        names = sorted(files, key=lambda name: (name == MANIFEST, name))
        for name in names:
            store.put(staging + name, files[name], _content_type(name))
        context.check()
        commit_staged(store, staging, f"{job.id}/", names)
        store.delete_prefix(f"{STAGING_ROOT}/{job.id}/")  # what attempts killed before their commit left behind


class _FrameMeter:
    """Moves the job's progress from GENERATE_SHARE to ENCODED as frames are written (each report is also a
    cancellation point, so a cancelled job stops mid-encode too)."""

    def __init__(self, context: JobContext, total: int) -> None:
        self.context = context
        self.total = max(1, total)
        self.done = 0

    def count(self, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        for frame in frames:
            self.done += 1
            if self.done % 12 == 0:
                self.context.progress(GENERATE_SHARE + (ENCODED - GENERATE_SHARE) * self.done / self.total)
            yield frame


def _content_type(name: str) -> str:
    return "application/json" if name.endswith(".json") else "video/mp4"
