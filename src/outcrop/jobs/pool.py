"""In-process workers: threads that claim jobs from the store and run them (the embedded default).

Any worker of any process sharing the store may take a job, so a server restarted after a crash picks up the jobs
its previous life held as soon as their leases run out.
"""

from __future__ import annotations

import logging
import threading

from outcrop.jobs.runner import JobRunner

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, runner: JobRunner, threads: int = 1, idle_poll_s: float = 1.0) -> None:
        self.runner = runner
        self._idle_poll_s = idle_poll_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, name=f"outcrop-jobs-{i}", daemon=True) for i in range(threads)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def notify(self) -> None:
        """A job was submitted: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking jobs; a running job finishes (or is picked up again after a restart when it cannot)."""
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                ran = self.runner.run_next() is not None
            except Exception:  # the store was unreachable: keep the worker alive and retry after a pause
                log.exception("job worker: claiming failed")
                ran = False
            if not ran:
                self._wake.wait(self._idle_poll_s)
                self._wake.clear()
