"""Executors: where the runs of a sweep or a tune go -- local processes, a Dask or a Ray cluster.

One small interface, :class:`Executor`: ``submit(fn, task)`` returns a handle,
``as_completed(handles)`` yields ``(handle, result)`` pairs as runs finish, and the executor is a
context manager that releases its workers on exit. ``fn`` is a module-level function and
``task`` a picklable value, so every backend ships them the same way.

Backends (choose with :func:`make_executor`):

``local`` (default)
    A :class:`concurrent.futures.ProcessPoolExecutor` on the ``spawn`` start method (no state
    forked from the parent, the same on every OS), ``workers`` = the number of cores by default.
    Each worker limits torch/BLAS/numba to one thread, so ``workers`` runs use ``workers`` cores,
    and shows no per-run progress bars (the sweep's bar counts runs).
``dask``
    ``dask.distributed``: a ``Client`` connected to an existing scheduler at ``address``
    (``tcp://host:8786``), or to a ``LocalCluster`` of ``workers`` single-threaded worker
    processes started here when no address is given. Optional extra ``learnmech[dask]``.
``ray``
    ``ray.init(address=...)`` (an existing cluster, or a local Ray when no address is given);
    each run is a one-CPU Ray task. Optional extra ``learnmech[ray]``.
``inline``
    Runs one task at a time in this process when its result is asked for: no start-up cost,
    and a debugger or profiler sees the run. For debugging and for tests.

Bad choices (unknown backend, missing extra, unreachable address) raise :class:`ExecutorError`
before any work starts; its message is one line that says what to do.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from learnmech.core.errors import InputError

__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "InlineExecutor",
    "LocalExecutor",
    "RayExecutor",
    "default_workers",
    "limit_threads",
    "make_executor",
]

#: The backends :func:`make_executor` accepts.
EXECUTORS: tuple[str, ...] = ("local", "dask", "ray", "inline")

#: Environment variables that cap the threads of numeric libraries in a worker.
#: (Not NUMBA_NUM_THREADS: numba refuses to compile once that variable differs from the thread
#: count it launched with, so a process that already ran numba code would break; its threads
#: are capped through ``numba.set_num_threads`` instead.)
_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                "LEARNMECH_TORCH_THREADS")


class ExecutorError(InputError):
    """The executor cannot be used (unknown name, missing extra, unreachable address)."""


def default_workers() -> int:
    """The number of cores this process may use (``os.sched_getaffinity`` where available)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def limit_threads() -> None:
    """Cap numeric libraries at one thread in this process (call in a worker before a run).

    Sets the thread environment variables (read by torch and BLAS when they are first
    imported), ``torch.set_num_threads(1)`` when torch is already imported, and numba's
    parallel regions to one thread (``numba.set_num_threads``, imported here if need be).
    """
    import sys

    for name in _THREAD_VARS:
        os.environ[name] = "1"
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    import numba

    numba.set_num_threads(1)


class Executor:
    """Base class of the backends: submit tasks, collect results as they finish.

    Subclasses implement :meth:`submit`, :meth:`as_completed` and :meth:`close`.

    Attributes
    ----------
    name : str
        The backend (``"local"``, ``"dask"``, ``"ray"``).
    workers : int
        How many runs execute at once (the number of workers, or cluster CPUs when known).
    """

    name = "base"
    workers = 1

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        """Start ``fn(task)`` on a worker; return a handle for :meth:`as_completed`."""
        raise NotImplementedError

    def as_completed(self, handles: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        """Yield ``(handle, result)`` as the submitted runs finish (any order).

        An exception raised by ``fn`` is re-raised here; the sweep's worker function catches
        experiment failures itself, so this happens only for infrastructure failures.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers (and a cluster this executor started)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        """One line for the log: backend and worker count."""
        return f"{self.name} executor, {self.workers} worker(s)"


class InlineExecutor(Executor):
    """Runs each task in this process, lazily, when :meth:`as_completed` reaches it."""

    name = "inline"

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return _Pending(fn, task)

    def as_completed(self, handles: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        for handle in list(handles):
            yield handle, handle.fn(handle.task)


class LocalExecutor(Executor):
    """Local worker processes (spawn start method), one thread of numerics each.

    Parameters
    ----------
    workers : int, optional
        Number of processes (default: the cores available, :func:`default_workers`).
    """

    name = "local"

    def __init__(self, workers: int | None = None):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers or default_workers()
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_local_worker,
        )

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self._pool.submit(fn, task)

    def as_completed(self, handles: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        from concurrent.futures import as_completed

        for future in as_completed(list(handles)):
            yield future, future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """A Dask cluster: the scheduler at ``address``, or a local cluster started here.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``). Checked with a TCP connection first, so an
        unreachable address fails at once with a clear message.
    workers : int, optional
        Worker processes of the local cluster (default: the cores available); ignored with an
        address.
    processes : bool
        Local cluster only: worker processes (default) or threads of this process (faster to
        start; runs then share this process's import state).
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None, *,
                 processes: bool = True):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError(
                "the dask executor needs Dask: pip install 'learnmech[dask]'"
            ) from None
        self._cluster = None
        if address:
            _check_reachable("Dask scheduler", address, default_port=8786)
            try:
                self._client = Client(address, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ExecutorError(
                    f"cannot connect to the Dask scheduler at {address!r}: {exc}"
                ) from None
            cores = sum(self._client.ncores().values())
            self.workers = max(1, cores)
        else:
            self.workers = workers or default_workers()
            self._cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=processes,
                dashboard_address=None,
            )
            self._client = Client(self._cluster)
        self.address = address or self._cluster.scheduler_address

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self._client.submit(_with_one_thread, fn, task, pure=False)

    def as_completed(self, handles: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        from dask.distributed import as_completed

        for future in as_completed(list(handles)):
            yield future, future.result()

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def describe(self) -> str:
        where = "local cluster" if self._cluster is not None else "cluster"
        return f"dask executor, {where} at {self.address}, {self.workers} worker(s)"


class RayExecutor(Executor):
    """A Ray cluster through ``ray.init(address=...)``; each run is a one-CPU task.

    Parameters
    ----------
    address : str, optional
        ``ray://host:10001``, ``host:6379`` or ``auto``; a local Ray starts when omitted.
    workers : int, optional
        CPUs of a local Ray (default: the cores available); ignored with an address.
    """

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None):
        try:
            import ray
        except ImportError:
            raise ExecutorError(
                "the ray executor needs Ray: pip install 'learnmech[ray]'"
            ) from None
        if address and address != "auto":
            _check_reachable("Ray cluster", address, default_port=10001)
        try:
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(num_cpus=workers or default_workers(), ignore_reinit_error=True,
                         log_to_driver=False)
        except (ConnectionError, RuntimeError, OSError) as exc:
            raise ExecutorError(f"cannot connect to Ray at {address!r}: {exc}") from None
        self._ray = ray
        self._remote = ray.remote(num_cpus=1)(_with_one_thread)
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))

    def submit(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return self._remote.remote(fn, task)

    def as_completed(self, handles: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        pending = list(handles)
        while pending:
            done, pending = self._ray.wait(pending, num_returns=1)
            for ref in done:
                yield ref, self._ray.get(ref)

    def close(self) -> None:
        self._ray.shutdown()


def make_executor(name: str = "local", *, address: str | None = None,
                  workers: int | None = None) -> Executor:
    """The executor called ``name``, ready to take tasks.

    Parameters
    ----------
    name : {"local", "dask", "ray", "inline"}
        The backend (see the module docstring).
    address : str, optional
        Cluster address for ``dask`` and ``ray``; refused for ``local``.
    workers : int, optional
        Worker count for ``local`` and for a local Dask or Ray cluster (>= 1).

    Raises
    ------
    ExecutorError
        Unknown backend, bad worker count, address given to ``local``, the backend's extra not
        installed, or the address unreachable.
    """
    if name not in EXECUTORS:
        raise ExecutorError(
            f"--executor must be one of {', '.join(map(repr, EXECUTORS))}; got {name!r}"
        )
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ExecutorError(f"--workers must be an integer >= 1; got {workers!r}")
    if name in ("local", "inline"):
        if address:
            raise ExecutorError(f"--address is for the dask and ray executors; the {name} "
                                f"executor runs on this machine (got {address!r})")
        return LocalExecutor(workers) if name == "local" else InlineExecutor()
    if name == "dask":
        return DaskExecutor(address, workers)
    return RayExecutor(address, workers)


# --------------------------------------------------------------------------- internals


class _Pending:
    """A task the inline executor has not run yet (hashed by identity)."""

    __slots__ = ("fn", "task")

    def __init__(self, fn: Callable[[Any], Any], task: Any):
        self.fn, self.task = fn, task


def _init_local_worker() -> None:
    """A local worker: one numeric thread, and no per-run progress bars (the sweep's own bar
    counts runs; bars of parallel runs would interleave on the shared terminal)."""
    limit_threads()
    os.environ["LEARNMECH_PROGRESS"] = "0"


def _with_one_thread(fn: Callable[[Any], Any], task: Any) -> Any:
    """Run ``fn(task)`` after capping numeric threads (for cluster workers)."""
    limit_threads()
    return fn(task)


def _check_reachable(what: str, address: str, *, default_port: int, timeout: float = 5.0) -> None:
    """Open (and close) a TCP connection to ``address``; ExecutorError when it fails."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port or default_port
    except ValueError:
        host, port = None, None
    if not host:
        raise ExecutorError(f"--address must look like tcp://host:port; got {address!r}")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ExecutorError(
            f"cannot reach the {what} at {address!r} ({host}:{port}: {reason}); "
            "is it running, and is the address right?"
        ) from None
