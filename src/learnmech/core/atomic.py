"""Atomic writes: a file, or a whole directory, is either absent or complete.

A file is written to a temporary name in the same directory, then renamed
(:func:`atomic_path`, :func:`atomic_write_text`). A directory is filled inside a hidden partial
folder beside its final place, ``.<name>.partial-<pid>/<name>``, and renamed onto the final
path when complete (:func:`atomic_dir`); a process killed at any moment (SIGKILL included)
leaves at most that hidden folder, which the next :func:`atomic_dir` for the same target
removes once its process is gone. Used by the run directory (:mod:`learnmech.runs`) and the
report (:mod:`learnmech.report`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The file gets the permissions an ordinary ``open(path, "w")`` would (0666 less the umask),
    not the 0600 of ``mkstemp``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: The marker in the name of a hidden partial folder: ``.<name>.partial-<tag>``.
PARTIAL_MARK = ".partial-"
_PARTIAL = re.compile(r"^\..+\.partial-[0-9A-Za-z]+$")
_NAME_MAX = 255  # bytes of one path component on every common file system


def is_partial(path: str | Path) -> bool:
    """Whether ``path``'s name is a hidden partial folder's (``.<name>.partial-<tag>``)."""
    return bool(_PARTIAL.match(Path(path).name))


def partial_dir(final: str | Path, tag: str | int | None = None) -> Path:
    """The hidden partial folder of ``final``: ``<parent>/.<name>.partial-<tag>``.

    ``tag`` defaults to this process's id. A name too long for the file system once the
    marker is added is shortened and given a hash of the full name, so the folder stays beside
    ``final`` whatever its length.
    """
    final = Path(final)
    return final.with_name(f".{_partial_stem(final.name)}{PARTIAL_MARK}{tag or os.getpid()}")


def clear_partials(final: str | Path) -> list[Path]:
    """Remove the partial folders of ``final`` left by processes that are gone; return them.

    A folder whose tag is the id of a live process other than this one is kept (another run
    into the same target may be working in it).
    """
    final = Path(final)
    prefix = f".{_partial_stem(final.name)}{PARTIAL_MARK}"
    removed = []
    try:
        entries = list(os.scandir(final.parent))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        tag = entry.name[len(prefix):]
        if tag.isdigit() and int(tag) != os.getpid() and _alive(int(tag)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_dir(final: str | Path) -> Iterator[Path]:
    """Yield an empty directory to fill; it is renamed onto ``final`` when the block succeeds.

    The directory is ``<parent>/.<name>.partial-<pid>/<name>`` (so whatever it holds sees its
    final name); ``final``'s parent must exist, and ``final`` must be absent or an empty
    directory. Stale partial folders of ``final`` (from killed processes) are removed first.
    When the block raises, the partial folder is removed, unless the block moved the
    directory away itself (e.g. to keep a failed attempt).

    Raises
    ------
    OSError
        If the partial folder cannot be created, or the final rename fails (``final`` was
        filled by someone else meanwhile); the finished directory is then left where it
        was built, inside the partial folder, and the error's ``filename`` names it.
    """
    final = Path(final)
    clear_partials(final)
    holder = partial_dir(final)
    shutil.rmtree(holder, ignore_errors=True)
    holder.mkdir()
    work = holder / final.name
    try:
        work.mkdir()
        yield work
    except BaseException:
        shutil.rmtree(holder, ignore_errors=True)
        raise
    try:
        os.replace(work, final)
    except OSError as exc:
        exc.filename = str(work)
        raise
    with contextlib.suppress(OSError):
        holder.rmdir()


def _partial_stem(name: str) -> str:
    """``name``, or a shortened form with a hash when ``.name.partial-<pid>`` would not fit."""
    room = _NAME_MAX - len(PARTIAL_MARK) - 1 - 20  # the dot, up to 20 digits of tag
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) <= room:
        return name
    digest = hashlib.sha1(encoded).hexdigest()[:12]
    short = encoded[: room - len(digest) - 1].decode("utf-8", "ignore")
    return f"{short}~{digest}"


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts as existing)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except (OSError, OverflowError, ValueError):
        return False
    return True
