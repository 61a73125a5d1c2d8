"""ListAsyncInvokes paging shared by every JobStore: keyset pagination over (submit_time, id).

A page ends at a position, not an offset, so jobs submitted while a caller pages through never shift what the next
page holds: there are no duplicates and no gaps, even among jobs that share a submit_time. The opaque next_token
carries that position and a fingerprint of the filters it was issued for; a token reused with other filters would
silently page through a different result set, so it is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from outcrop.errors import ValidationError
from outcrop.jobs.model import Job, JobPage, JobQuery

MAX_RESULTS = 1000
_TOKEN_VERSION = 1
TimeValue = Callable[[datetime], object]  # a datetime as the store's submit_time column holds it
_Condition = tuple[str, list[object]]  # an SQL fragment and the values of its placeholders
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Position:
    """The last job of the previous page; the next page starts strictly beyond it in the query's direction."""

    submit_time: datetime
    job_id: str


@dataclass(frozen=True)
class Window:
    """The SQL for one page: `SELECT ... WHERE {where} ORDER BY {order_by} LIMIT <limit>` with `params` in order."""

    where: str
    params: list[object]
    order_by: str
    limit: int


def window(query: JobQuery, mark: str, time_value: TimeValue) -> Window:
    """The page `query` asks for, in SQL over columns status, submit_time and id.

    `mark` is the driver's placeholder; `time_value` turns a datetime into what the submit_time column holds. One
    row more than max_results is asked for, to learn whether there is a next page.
    """
    limit = check_max_results(query) + 1
    conditions = _conditions(query, mark, time_value)
    where = " AND ".join(condition for condition, _ in conditions) or "1 = 1"
    params = [param for _, values in conditions for param in values]
    direction = "ASC" if query.ascending else "DESC"
    return Window(where, params, f"submit_time {direction}, id {direction}", limit)


def _conditions(query: JobQuery, mark: str, time_value: TimeValue) -> list[_Condition]:
    conditions: list[_Condition] = []
    if query.status is not None:
        conditions.append((f"status = {mark}", [query.status.value]))
    if query.submitted_after is not None:
        conditions.append((f"submit_time > {mark}", [time_value(query.submitted_after)]))
    if query.submitted_before is not None:
        conditions.append((f"submit_time < {mark}", [time_value(query.submitted_before)]))
    position = resume_after(query)
    if position is not None:  # row comparison: strictly beyond the last job shown, ties on time broken by id
        beyond = ">" if query.ascending else "<"
        condition = f"(submit_time, id) {beyond} ({mark}, {mark})"
        conditions.append((condition, [time_value(position.submit_time), position.job_id]))
    return conditions


def check_max_results(query: JobQuery) -> int:
    if not 1 <= query.max_results <= MAX_RESULTS:
        raise ValidationError(f"maxResults must be 1 to {MAX_RESULTS}, not {query.max_results}")
    return query.max_results


def resume_after(query: JobQuery) -> Position | None:
    """Where the page the query asks for starts; None for the first page.

    ValidationError when the token is not one a store issued, or was issued for other filters.
    """
    if query.next_token is None:
        return None
    fields = _decode(query.next_token)
    if fields["f"] != _fingerprint(query):
        raise ValidationError(
            "This nextToken was issued for different filters (status, submit time range or sort order): "
            "start again without nextToken, or send the filters it was issued for."
        )
    return Position(_EPOCH + timedelta(microseconds=fields["t"]), fields["id"])


def make_page(query: JobQuery, fetched: Sequence[Job]) -> JobPage:
    """`fetched` holds up to max_results + 1 jobs in order; the extra one only says that another page exists."""
    limit = check_max_results(query)
    jobs = list(fetched[:limit])
    if len(fetched) <= limit:
        return JobPage(jobs)
    return JobPage(jobs, _encode(query, jobs[-1]))


def _encode(query: JobQuery, last: Job) -> str:
    fields = {"v": _TOKEN_VERSION, "t": _micros(last.submit_time), "id": last.id, "f": _fingerprint(query)}
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any]:
    garbled = ValidationError("The nextToken is not one this service issued: start again without nextToken.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        fields = json.loads(raw)
    except (ValueError, binascii.Error):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise garbled from None
    if not _well_formed(fields):
        raise garbled
    return dict(fields)


def _well_formed(fields: object) -> bool:
    if not isinstance(fields, dict) or fields.get("v") != _TOKEN_VERSION:
        return False
    types_ok = isinstance(fields.get("id"), str) and isinstance(fields.get("f"), str)
    # bool is an int subclass; a position in microseconds is a plain int within datetime's range
    time = fields.get("t")
    return types_ok and type(time) is int and 0 <= time <= _micros(_LATEST)


def _fingerprint(query: JobQuery) -> str:
    """A digest of the filters that decide which jobs the pages hold (not max_results: page sizes may vary)."""
    parts = [
        query.status.value if query.status is not None else "",
        _iso(query.submitted_after),
        _iso(query.submitted_before),
        "asc" if query.ascending else "desc",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat()


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)
