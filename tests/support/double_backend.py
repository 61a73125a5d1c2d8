"""A deterministic test double of a backend (named as one): it echoes, sleeps or crashes on command.

Used to test the executor and the wire error mapping without loading a model.
"""

from __future__ import annotations

import threading
import time

from outcrop.backends.base import LoadSpec, ProgressFn
from outcrop.tasks import ConverseTask, Task, TaskKind
from outcrop.tasks.converse import ConverseResult, StopReason

LOADS: list[LoadSpec] = []
ACTIVE = threading.Semaphore(1)
STEPS_TAKEN: list[int] = []  # per "steps N" task: how many steps it ran before it finished or was stopped


class DoubleBackend:
    kinds = frozenset({TaskKind.CONVERSE})

    def run(self, task: Task, progress: ProgressFn) -> object:
        assert isinstance(task, ConverseTask)
        if not ACTIVE.acquire(blocking=False):
            raise AssertionError("two requests entered one backend at once")
        try:
            command = task.messages[-1].text
            if command.startswith("steps "):
                return self._steps(int(command.split()[1]), progress)
            return self._answer(command)
        finally:
            ACTIVE.release()

    def _answer(self, command: str) -> ConverseResult:
        if command.startswith("sleep "):
            time.sleep(float(command.split()[1]))
        if command == "crash":
            raise RuntimeError("the double was told to crash")
        return ConverseResult(text=f"echo: {command}", stop_reason=StopReason.END_TURN, input_tokens=1, output_tokens=2)

    def _steps(self, total: int, progress: ProgressFn) -> ConverseResult:
        """Like a denoising loop: a step, then a progress report (where a cancelled task is stopped)."""
        STEPS_TAKEN.append(0)
        for step in range(total):
            time.sleep(0.02)
            STEPS_TAKEN[-1] = step + 1
            progress((step + 1) / total)
        return self._answer(f"{total} steps")

    def close(self) -> None:
        pass


def load(spec: LoadSpec) -> DoubleBackend:
    LOADS.append(spec)
    return DoubleBackend()
