"""Send jobs again whose worker went silent (lease expired) or that no worker picked up in time.

Runs in the API tier when jobs are dispatched through Celery; in-process workers need none, because they poll the
store and claim expired leases themselves.
"""

from __future__ import annotations

import logging
import threading

from outcrop.jobs.dispatch import Dispatcher
from outcrop.jobs.runner import Clock, utc_now
from outcrop.jobs.store import JobStore

log = logging.getLogger(__name__)


class Reaper:
    def __init__(self, store: JobStore, dispatcher: Dispatcher, lease_s: float, clock: Clock = utc_now) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.lease_s = lease_s
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outcrop-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def sweep(self) -> int:
        jobs = self.store.stale(self.clock(), unclaimed_for_s=self.lease_s)
        for job in jobs:
            self.dispatcher.dispatch(job)
        return len(jobs)

    def _loop(self) -> None:
        while not self._stop.wait(self.lease_s / 2):
            try:
                if count := self.sweep():
                    log.info("re-dispatched %d stale job(s)", count)
            except Exception:
                log.exception("reaper sweep failed")
