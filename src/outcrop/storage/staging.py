"""Publishing a job's files all at once: write them under a staging prefix, then commit them to the job's folder.

Clients find a job's video by listing `<jobId>` and taking the first key ending in `.mp4`, so nothing but final
files may ever appear under the job's folder. Staging therefore lives outside it, and the commit copies the
manifest last: a folder that holds `manifest.json` is complete.
"""

from __future__ import annotations

from collections.abc import Sequence

from outcrop.errors import ResourceNotFoundError, ValidationError
from outcrop.storage.base import ArtifactStore
from outcrop.storage.location import check_key, check_prefix

STAGING_ROOT = ".outcrop-staging"


def staging_prefix_for(job_id: str, attempt: int) -> str:
    """Where attempt `attempt` of `job_id` stages its files; each attempt has its own, so a retry never mixes
    its files with a crashed attempt's leftovers."""
    if not job_id or "/" in job_id or job_id in (".", ".."):
        raise ValidationError(f"The job id '{job_id}' must be one non-empty path segment (no '/').")
    if attempt < 0:
        raise ValidationError(f"The attempt number must be 0 or more, not {attempt}.")
    return f"{STAGING_ROOT}/{job_id}/{attempt}/"


def commit_staged(store: ArtifactStore, staging_prefix: str, final_prefix: str, names: Sequence[str]) -> None:
    """Copy each staged name to `final_prefix` in order, then delete the staging prefix.

    Pass `manifest.json` last. Running this again after a crash at any point finishes the job: copies are
    overwrites, and staging is deleted only after every copy, so a staged file missing on a re-run means the
    crash hit the final delete and its copy is already in place.
    """
    _check_folder(staging_prefix, "staging prefix", allow_root=False)
    _check_folder(final_prefix, "final prefix", allow_root=True)
    for name in names:
        check_key(name)
        _commit_one(store, staging_prefix + name, final_prefix + name)
    store.delete_prefix(staging_prefix)


def _commit_one(store: ArtifactStore, staged: str, final: str) -> None:
    if store.exists(staged):
        store.copy(staged, final)
    elif not store.exists(final):
        raise ResourceNotFoundError(f"Cannot commit '{final}': it was never staged at '{staged}'.")


def _check_folder(prefix: str, what: str, *, allow_root: bool) -> None:
    # Prefixes are matched as strings: without the trailing '/', deleting staging `.../1` would also take `.../10/`.
    if prefix == "" and allow_root:
        return
    check_prefix(prefix)
    if not prefix.endswith("/") or prefix == "/":
        raise ValidationError(f"The {what} '{prefix}' must be a folder ending in '/'.")
