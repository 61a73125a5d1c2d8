"""The work of one Nova 2 Multimodal Embeddings SEGMENTED_EMBEDDING job: one embedding per text segment, written
as JSON Lines (`embedding-text.jsonl`, one object per segment with its offsets) under `<location>/<jobId>/`.

The file is staged and committed like video outputs, so a job killed mid-way leaves nothing under its id, and
the run that takes over writes the same lines again (embeddings are deterministic).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from outcrop.catalog import Catalog
from outcrop.errors import ModelError
from outcrop.families.nova_embed.segmented import Segment, SegmentedEmbedTask, parse_segmented
from outcrop.jobs.model import Job
from outcrop.jobs.runner import JobContext
from outcrop.runtime.executor import Executor
from outcrop.services.video_jobs import StoreOpener
from outcrop.storage.staging import STAGING_ROOT, commit_staged, staging_prefix_for
from outcrop.tasks import EmbedTask
from outcrop.tasks.embed import EmbedResult

TEXT_OUTPUT = "embedding-text.jsonl"


@dataclass(frozen=True)
class EmbeddingJobHandler:
    catalog: Catalog
    executor: Executor
    open_store: StoreOpener

    def __call__(self, job: Job, context: JobContext) -> None:
        entry = self.catalog.resolve(job.spec.model_id)
        task = parse_segmented(job.spec.model_input)
        segments = task.segments()
        lines = []
        for segment in segments:
            lines.append(self._line(entry.model_id, task, segment))
            context.progress(0.95 * (segment.index + 1) / len(segments))
        self._commit(job, ("\n".join(lines) + "\n").encode(), context)

    def _line(self, model_id: str, task: SegmentedEmbedTask, segment: Segment) -> str:
        embed = EmbedTask(text=segment.text, image=None, dimension=task.dimension, purpose=task.purpose,
                          truncate=task.truncate)  # fmt: skip
        entry = self.catalog.resolve(model_id)
        result = self.executor.worker_for(entry, embed).submit(embed).result()
        if not isinstance(result, EmbedResult):
            raise ModelError(f"{model_id} returned {type(result).__name__} instead of an embedding.")
        metadata = {"segmentIndex": segment.index, "segmentStartCharPosition": segment.start,
                    "segmentEndCharPosition": segment.end}  # fmt: skip
        return json.dumps({"embedding": result.vector.tolist(), "segmentMetadata": metadata})

    def _commit(self, job: Job, content: bytes, context: JobContext) -> None:
        store = self.open_store(job.spec.output_uri)
        staging = staging_prefix_for(job.id, job.attempts)
        store.put(staging + TEXT_OUTPUT, content, "application/jsonl")
        context.check()
        commit_staged(store, staging, f"{job.id}/", [TEXT_OUTPUT])
        store.delete_prefix(f"{STAGING_ROOT}/{job.id}/")
