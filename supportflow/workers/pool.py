"""The embedded worker pool that `supportflow serve` runs beside the web app.

One worker runs as a thread of the web process; more run as processes (so they use more
than one core), each polling the same database. Leases keep them off each other's cases.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.process import BaseProcess

from supportflow.config import Settings
from supportflow.knowledge.embeddings import set_embedding_threads
from supportflow.store.db import Database
from supportflow.workers.embedded import StopSignal, build_deps, run_forever, threads_per_worker

PARENT_CHECK_SECONDS = 1.0


def _stop_when_orphaned(parent_pid: int, stop: StopSignal) -> None:
    """A worker whose serve process died (even by SIGKILL) finishes its case and exits."""
    while not stop.wait(PARENT_CHECK_SECONDS):
        if os.getppid() != parent_pid:
            stop.set()


def _worker_process(settings: Settings, stop: StopSignal, parent_pid: int, threads: int) -> None:
    set_embedding_threads(threads)
    threading.Thread(target=_stop_when_orphaned, args=(parent_pid, stop), daemon=True).start()
    db = Database(settings.resolved_database_url)
    try:
        run_forever(build_deps(db, settings), stop)
    finally:
        db.dispose()


class WorkerPool:
    """`size` embedded workers: started with `start`, asked to finish with `stop`."""

    def __init__(self, settings: Settings, db: Database, size: int = 1) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self._settings = settings
        self._db = db
        self._size = size
        self._context = multiprocessing.get_context("spawn")
        self._stop: StopSignal = threading.Event() if size == 1 else self._context.Event()
        self._threads: list[threading.Thread] = []
        self._processes: list[BaseProcess] = []

    def start(self) -> None:
        if self._size == 1:
            deps = build_deps(self._db, self._settings)
            thread = threading.Thread(
                target=run_forever, args=(deps, self._stop), name="worker", daemon=True
            )
            self._threads.append(thread)
            thread.start()
            return
        for index in range(self._size):
            process = self._context.Process(
                target=_worker_process,
                name=f"worker-{index}",
                args=(self._settings, self._stop, os.getpid(), threads_per_worker(self._size)),
                daemon=True,
            )
            self._processes.append(process)
            process.start()

    def stop(self, timeout: float = 10) -> None:
        """Let each worker finish its current case, then wait for it (up to `timeout`)."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        for process in self._processes:
            process.join(timeout)
            if process.is_alive():
                process.terminate()
