"""The JobStore contract, run against every implementation (see conftest.py): SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from outcrop.errors import ConflictError, ValidationError
from outcrop.jobs import CANCELLED_MESSAGE, Job, JobQuery, JobSpec, JobStatus, JobStore, new_job_id

OpenStore = Callable[[], JobStore]
T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
LEASE = 30.0


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_spec(token: str | None = None, *, request_hash: str = "hash-1", queue: str = "gpu") -> JobSpec:
    return JobSpec(
        model_id="stability.sd3-5-large-v1:0",
        model_arn="arn:aws:bedrock:us-east-1::foundation-model/stability.sd3-5-large-v1:0",
        model_input={"prompt": "a lighthouse", "seed": 7, "nested": {"sizes": [512, 768], "ratio": 0.5, "on": True}},
        output_uri="s3://bucket/out/",
        client_request_token=token or new_job_id(),
        request_hash=request_hash,
        queue=queue,
        tags=(("team", "maps"), ("cost-center", "42")),
    )


def submit(store: JobStore, when: datetime = T0, *, queue: str = "gpu", token: str | None = None) -> Job:
    job_id = new_job_id()
    job, created = store.submit(
        make_spec(token, queue=queue), job_id, f"arn:aws:bedrock:us-east-1:0:async-invoke/{job_id}", when
    )
    assert created
    return job


def ids(jobs: list[Job]) -> list[str]:
    return [job.id for job in jobs]


def every_page(store: JobStore, query: JobQuery) -> list[list[Job]]:
    pages, token = [], None
    while True:
        page = store.list(replace(query, next_token=token))
        pages.append(page.jobs)
        token = page.next_token
        if token is None:
            return pages


# submit and get


def test_submit_stores_the_job_and_get_returns_every_field(store: JobStore):
    job = submit(store)

    assert job.status is JobStatus.IN_PROGRESS
    assert (job.submit_time, job.last_modified_time, job.attempts, job.owner) == (T0, T0, 0, None)
    assert store.get(job.id) == job
    assert store.get(job.id).spec.model_input["nested"] == {"sizes": [512, 768], "ratio": 0.5, "on": True}


def test_get_of_an_unknown_job_is_none(store: JobStore):
    assert store.get("nosuchjob000") is None


def test_times_keep_microseconds_and_come_back_in_utc(store: JobStore):
    local = T0.astimezone(timezone(timedelta(hours=-7)))
    job = submit(store, local)

    stored = store.get(job.id)
    assert job.submit_time.utcoffset() == timedelta(0)
    assert stored.submit_time == T0
    assert stored.submit_time.utcoffset() == timedelta(0)
    assert stored.submit_time.microsecond == 123456


def test_naive_times_are_refused(store: JobStore):
    with pytest.raises(ValueError, match="timezone-aware"):
        store.submit(make_spec(), new_job_id(), "arn", datetime(2025, 1, 1))


def test_same_token_and_request_returns_the_existing_job(store: JobStore):
    first = submit(store, token="token-a")

    again, created = store.submit(make_spec("token-a"), new_job_id(), "arn:other", at(5))

    assert not created
    assert again == first
    assert ids(store.list(JobQuery()).jobs) == [first.id]


def test_same_token_with_another_request_is_a_conflict(store: JobStore):
    submit(store, token="token-b")

    with pytest.raises(ConflictError, match="token-b") as raised:
        store.submit(make_spec("token-b", request_hash="hash-2"), new_job_id(), "arn", at(5))
    assert "Use a new clientRequestToken for a different request" in raised.value.message


def test_concurrent_submits_of_one_token_create_one_job(open_store: OpenStore):
    stores = [open_store() for _ in range(4)]
    results: list[tuple[Job, bool]] = []
    start = threading.Barrier(len(stores))

    def submit_once(store: JobStore) -> None:
        start.wait()
        results.append(store.submit(make_spec("shared-token"), new_job_id(), "arn", T0))

    run_threads(submit_once, stores)

    assert sorted(created for _, created in results) == [False, False, False, True]
    assert len({job.id for job, _ in results}) == 1


def test_a_second_store_on_the_same_storage_sees_the_jobs(open_store: OpenStore):
    first = open_store()
    job = submit(first)
    first.close()

    assert open_store().get(job.id) == job


# list


def test_list_is_newest_first_by_default_and_oldest_first_when_ascending(store: JobStore):
    jobs = [submit(store, at(i)) for i in (2, 0, 1)]
    oldest_first = [jobs[1].id, jobs[2].id, jobs[0].id]

    assert ids(store.list(JobQuery()).jobs) == oldest_first[::-1]
    assert ids(store.list(JobQuery(ascending=True)).jobs) == oldest_first


def test_jobs_with_one_submit_time_are_ordered_by_id(store: JobStore):
    jobs = [submit(store, T0) for _ in range(5)]

    assert ids(store.list(JobQuery(ascending=True)).jobs) == sorted(ids(jobs))
    assert ids(store.list(JobQuery()).jobs) == sorted(ids(jobs), reverse=True)


def test_list_filters_by_status(store: JobStore):
    running, finished = submit(store, at(0)), submit(store, at(1))
    store.claim("w", ["gpu"], LEASE, at(2), job_id=finished.id)
    store.complete(finished.id, "w", at(3))

    assert ids(store.list(JobQuery(status=JobStatus.COMPLETED)).jobs) == [finished.id]
    assert ids(store.list(JobQuery(status=JobStatus.IN_PROGRESS)).jobs) == [running.id]
    assert store.list(JobQuery(status=JobStatus.FAILED)).jobs == []


def test_submit_time_bounds_are_strict(store: JobStore):
    jobs = [submit(store, at(i)) for i in range(5)]

    query = JobQuery(submitted_after=at(1), submitted_before=at(4), ascending=True)
    assert ids(store.list(query).jobs) == ids(jobs[2:4])


def test_pages_cover_every_job_once_in_both_directions(store: JobStore):
    # 23 jobs over 4 submit times: most pages end in the middle of a run of equal times
    jobs = [submit(store, at(i % 4)) for i in range(23)]
    for ascending in (True, False):
        pages = every_page(store, JobQuery(ascending=ascending, max_results=5))

        assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
        listed = [job for page in pages for job in page]
        keys = [(job.submit_time, job.id) for job in listed]
        assert keys == sorted(keys, reverse=not ascending)
        assert sorted(ids(listed)) == sorted(ids(jobs))


def test_pages_keep_the_filters(store: JobStore):
    jobs = [submit(store, at(i)) for i in range(12)]
    for job in jobs[::3]:
        store.claim("w", ["gpu"], LEASE, at(20), job_id=job.id)
        store.fail(job.id, "w", "boom", at(21))

    query = JobQuery(status=JobStatus.IN_PROGRESS, submitted_after=at(0), max_results=2)
    listed = [job for page in every_page(store, query) for job in page]

    assert ids(listed) == [job.id for i, job in enumerate(jobs) if i % 3 and i > 0][::-1]


def test_a_page_that_fits_exactly_has_no_next_token(store: JobStore):
    for i in range(3):
        submit(store, at(i))

    assert store.list(JobQuery(max_results=3)).next_token is None
    assert store.list(JobQuery(max_results=2)).next_token is not None


def test_jobs_submitted_while_paging_do_not_shift_the_pages(store: JobStore):
    jobs = [submit(store, at(i)) for i in range(4)]
    first = store.list(JobQuery(max_results=2))
    submit(store, at(10))  # newer than every listed job: belongs before page one

    second = store.list(JobQuery(max_results=2, next_token=first.next_token))

    assert ids(first.jobs + second.jobs) == ids(jobs)[::-1]


@pytest.mark.parametrize(
    "changed",
    [
        {"status": JobStatus.COMPLETED},
        {"submitted_after": T0},
        {"submitted_before": at(100)},
        {"ascending": True},
    ],
)
def test_a_token_reused_with_other_filters_is_refused(store: JobStore, changed: dict[str, Any]):
    for i in range(3):
        submit(store, at(i))
    token = store.list(JobQuery(max_results=1)).next_token

    with pytest.raises(ValidationError, match="start again without nextToken"):
        store.list(replace(JobQuery(max_results=1, next_token=token), **changed))


def test_a_token_may_change_the_page_size(store: JobStore):
    jobs = [submit(store, at(i)) for i in range(5)]
    token = store.list(JobQuery(max_results=1)).next_token

    assert ids(store.list(JobQuery(max_results=10, next_token=token)).jobs) == ids(jobs[:4])[::-1]


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "%%%",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"v": 1, "t": "soon", "id": "x", "f": "y"}').decode(),
        base64.urlsafe_b64encode(b'{"v": 9, "t": 1, "id": "x", "f": "y"}').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "",
    ],
)
def test_a_garbled_token_is_refused(store: JobStore, token: str):
    submit(store)

    with pytest.raises(ValidationError, match="nextToken"):
        store.list(JobQuery(next_token=token))


@pytest.mark.parametrize("max_results", [0, -1, 1001])
def test_max_results_is_1_to_1000(store: JobStore, max_results: int):
    with pytest.raises(ValidationError, match="maxResults"):
        store.list(JobQuery(max_results=max_results))


# claim


def test_claim_takes_the_oldest_job_of_the_queues(store: JobStore):
    newer, older, other_queue = submit(store, at(2)), submit(store, at(1)), submit(store, at(0), queue="cpu")

    claimed = store.claim("worker-1", ["gpu"], LEASE, at(10))

    assert claimed.id == older.id
    assert (claimed.owner, claimed.lease_expires, claimed.attempts) == ("worker-1", at(10 + LEASE), 1)
    assert claimed.last_modified_time == at(10)
    assert store.get(older.id) == claimed
    assert store.claim("worker-2", ["gpu"], LEASE, at(10)).id == newer.id
    assert store.claim("worker-3", ["gpu"], LEASE, at(10)) is None
    assert store.claim("worker-3", ["cpu", "gpu"], LEASE, at(10)).id == other_queue.id


def test_claim_with_no_queues_or_no_jobs_is_none(store: JobStore):
    assert store.claim("w", ["gpu"], LEASE, T0) is None
    submit(store)
    assert store.claim("w", [], LEASE, T0) is None


def test_a_job_whose_lease_ran_out_can_be_claimed_again(store: JobStore):
    job = submit(store)
    store.claim("worker-1", ["gpu"], LEASE, at(1))

    assert store.claim("worker-2", ["gpu"], LEASE, at(1 + LEASE - 0.001)) is None
    again = store.claim("worker-2", ["gpu"], LEASE, at(1 + LEASE))
    assert (again.id, again.owner, again.attempts) == (job.id, "worker-2", 2)


def test_claim_by_id_considers_only_that_job(store: JobStore):
    older, wanted, elsewhere = submit(store, at(0)), submit(store, at(1)), submit(store, at(2), queue="cpu")

    assert store.claim("w", ["gpu"], LEASE, at(5), job_id=wanted.id).id == wanted.id
    assert store.claim("w2", ["gpu"], LEASE, at(5), job_id=wanted.id) is None  # held
    assert store.claim("w2", ["gpu"], LEASE, at(5), job_id=elsewhere.id) is None  # not in these queues
    assert store.claim("w2", ["gpu"], LEASE, at(5), job_id="nosuchjob000") is None
    assert store.get(older.id).owner is None


def test_a_job_out_of_attempts_fails_and_the_next_is_claimed(store: JobStore):
    worn, fresh = submit(store, at(0)), submit(store, at(1))
    for attempt in range(3):
        store.claim(f"dies-{attempt}", ["gpu"], LEASE, at(10 + 100 * attempt), job_id=worn.id)

    claimed = store.claim("worker", ["gpu"], LEASE, at(1000))

    assert claimed.id == fresh.id
    failed = store.get(worn.id)
    assert (failed.status, failed.owner, failed.end_time, failed.attempts) == (JobStatus.FAILED, None, at(1000), 3)
    assert failed.failure_message == (
        "Gave up after 3 attempts: every worker that ran this job stopped before it finished."
    )


def test_max_attempts_is_a_parameter(store: JobStore):
    job = submit(store)
    store.claim("dies", ["gpu"], LEASE, at(0))

    assert store.claim("w", ["gpu"], LEASE, at(100), job_id=job.id, max_attempts=1) is None
    assert store.get(job.id).failure_message.startswith("Gave up after 1 attempts")


def test_a_cancelled_job_with_a_dead_owner_fails_when_claimed(store: JobStore):
    cancelled, waiting = submit(store, at(0)), submit(store, at(1))
    store.claim("dies", ["gpu"], LEASE, at(2), job_id=cancelled.id)
    store.cancel(cancelled.id, at(3))  # held: only requested

    assert store.claim("w", ["gpu"], LEASE, at(100)).id == waiting.id
    failed = store.get(cancelled.id)
    assert (failed.status, failed.failure_message, failed.end_time) == (JobStatus.FAILED, CANCELLED_MESSAGE, at(100))


# heartbeat, complete, fail, release


def test_heartbeat_renews_the_lease_and_records_progress(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))

    assert store.heartbeat(job.id, "w", 0.25, LEASE, at(20))

    beating = store.get(job.id)
    assert (beating.progress, beating.lease_expires, beating.last_modified_time) == (0.25, at(20 + LEASE), at(20))
    assert store.claim("other", ["gpu"], LEASE, at(1 + LEASE)) is None  # the old lease end no longer counts


@pytest.mark.parametrize(("reported", "stored"), [(-0.5, 0.0), (1.5, 1.0), (float("nan"), 0.0)])
def test_progress_is_clamped_to_0_1(store: JobStore, reported: float, stored: float):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))

    store.heartbeat(job.id, "w", reported, LEASE, at(2))

    assert store.get(job.id).progress == stored


def test_complete_finishes_the_job(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))

    assert store.complete(job.id, "w", at(9))

    done = store.get(job.id)
    assert (done.status, done.progress, done.end_time, done.last_modified_time) == (
        JobStatus.COMPLETED,
        1.0,
        at(9),
        at(9),
    )
    assert (done.owner, done.lease_expires, done.failure_message) == (None, None, None)
    assert not store.complete(job.id, "w", at(10))
    assert not store.fail(job.id, "w", "late", at(10))
    assert store.get(job.id) == done


def test_fail_records_the_message_cut_to_2048_characters(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))

    assert store.fail(job.id, "w", "x" * 5000, at(9))

    failed = store.get(job.id)
    assert (failed.status, failed.failure_message, failed.end_time, failed.owner) == (
        JobStatus.FAILED,
        "x" * 2048,
        at(9),
        None,
    )


def test_a_worker_that_lost_its_job_can_no_longer_move_it(store: JobStore):
    job = submit(store)
    store.claim("slow", ["gpu"], LEASE, at(1))
    store.claim("fast", ["gpu"], LEASE, at(1 + LEASE + 5))
    held = store.get(job.id)

    assert not store.heartbeat(job.id, "slow", 0.9, LEASE, at(40))
    assert not store.complete(job.id, "slow", at(40))
    assert not store.fail(job.id, "slow", "boom", at(40))
    assert not store.release(job.id, "slow", at(40))
    assert store.get(job.id) == held
    assert store.complete(job.id, "fast", at(50))


def test_the_owner_may_still_renew_a_lease_that_ran_out_if_nobody_took_it(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))

    assert store.heartbeat(job.id, "w", 0.5, LEASE, at(100))
    assert store.complete(job.id, "w", at(101))


def test_release_gives_the_job_back_without_counting_the_attempt(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))

    assert store.release(job.id, "w", at(2))

    released = store.get(job.id)
    assert (released.status, released.owner, released.lease_expires, released.attempts) == (
        JobStatus.IN_PROGRESS,
        None,
        None,
        0,
    )
    assert released.last_modified_time == at(2)
    assert store.claim("w2", ["gpu"], LEASE, at(3)).attempts == 1


def test_releasing_a_job_whose_cancel_was_requested_ends_it_cancelled(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))
    store.cancel(job.id, at(2))

    assert store.release(job.id, "w", at(3))

    ended = store.get(job.id)
    assert (ended.status, ended.failure_message, ended.end_time, ended.owner) == (
        JobStatus.FAILED,
        CANCELLED_MESSAGE,
        at(3),
        None,
    )


# cancel


def test_cancelling_an_unowned_job_fails_it_at_once(store: JobStore):
    job = submit(store)

    cancelled = store.cancel(job.id, at(5))

    assert (cancelled.status, cancelled.failure_message, cancelled.end_time) == (
        JobStatus.FAILED,
        CANCELLED_MESSAGE,
        at(5),
    )
    assert store.get(job.id) == cancelled
    assert store.claim("w", ["gpu"], LEASE, at(6)) is None


def test_cancelling_a_held_job_asks_its_owner_to_stop(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))

    requested = store.cancel(job.id, at(5))

    assert (requested.status, requested.cancel_requested, requested.owner) == (JobStatus.IN_PROGRESS, True, "w")
    assert store.get(job.id) == requested
    assert not store.heartbeat(job.id, "w", 0.5, LEASE, at(6))
    assert store.get(job.id) == requested  # the refused heartbeat changed nothing
    assert store.fail(job.id, "w", CANCELLED_MESSAGE, at(7))
    assert store.get(job.id).status is JobStatus.FAILED


def test_cancelling_a_job_whose_owner_died_fails_it_at_once(store: JobStore):
    job = submit(store)
    store.claim("dies", ["gpu"], LEASE, at(1))

    cancelled = store.cancel(job.id, at(1 + LEASE))

    assert (cancelled.status, cancelled.failure_message, cancelled.owner) == (JobStatus.FAILED, CANCELLED_MESSAGE, None)
    assert not store.complete(job.id, "dies", at(100))


def test_cancelling_a_finished_or_unknown_job_changes_nothing(store: JobStore):
    job = submit(store)
    store.claim("w", ["gpu"], LEASE, at(1))
    store.complete(job.id, "w", at(2))
    done = store.get(job.id)

    assert store.cancel(job.id, at(3)) == done
    assert store.get(job.id) == done
    assert store.cancel("nosuchjob000", at(3)) is None


# stale


def test_stale_lists_expired_leases_and_long_unclaimed_jobs(store: JobStore):
    expired, held, long_waiting, just_submitted, done = (submit(store, at(i)) for i in range(5))
    store.claim("dies", ["gpu"], 10, at(10), job_id=expired.id)
    store.claim("alive", ["gpu"], 1000, at(10), job_id=held.id)
    store.claim("w", ["gpu"], LEASE, at(10), job_id=done.id)
    store.complete(done.id, "w", at(11))

    stale = store.stale(at(20), unclaimed_for_s=17.5)

    assert ids(stale) == [expired.id, long_waiting.id]
    assert just_submitted.id not in ids(stale)


# several workers at once


def test_concurrent_claimers_take_every_job_exactly_once(open_store: OpenStore):
    submitter = open_store()
    jobs = [submit(submitter, at(i % 7)) for i in range(40)]
    stores = [open_store() for _ in range(4)]
    claimed: list[str] = []
    start = threading.Barrier(len(stores))

    def claim_all(store: JobStore) -> None:
        owner = new_job_id()
        start.wait()
        while (job := store.claim(owner, ["gpu"], LEASE, at(100))) is not None:
            claimed.append(job.id)

    run_threads(claim_all, stores)

    assert sorted(claimed) == sorted(ids(jobs))
    assert all(job.attempts == 1 for job in submitter.list(JobQuery()).jobs)


def run_threads(target: Callable[[JobStore], None], stores: list[JobStore]) -> None:
    """Run target(store) in a thread per store; an exception in any thread fails the test."""
    errors: list[BaseException] = []

    def guarded(store: JobStore) -> None:
        try:
            target(store)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


# counts (read by /metrics)


def test_counts_has_every_status_and_follows_transitions(store: JobStore):
    before = store.counts()
    assert set(before) == set(JobStatus)
    done, failed, _waiting = submit(store, at(0)), submit(store, at(1)), submit(store, at(2))
    store.claim("w", ["gpu"], LEASE, at(3), job_id=done.id)
    store.complete(done.id, "w", at(4))
    store.claim("w", ["gpu"], LEASE, at(5), job_id=failed.id)
    store.fail(failed.id, "w", "broken", at(6))

    after = store.counts()
    assert {status: after[status] - before[status] for status in JobStatus} == {
        JobStatus.IN_PROGRESS: 1,
        JobStatus.COMPLETED: 1,
        JobStatus.FAILED: 1,
    }
