"""Writing files whole or not at all: unique temporaries beside the target, fsync, then rename.

Every file randcheck writes goes through here. A file is first written to a temporary with a
unique name in the target's own folder (``.<name>.<random>.tmp``, made by
:func:`tempfile.mkstemp`, so two writers never share one), flushed to disk, then moved into place
in one step:

- ``overwrite=True`` renames it over the target (:func:`os.replace`): readers see the old file or
  the new one, never a mix;
- ``overwrite=False`` hard-links it to the target, which fails if the target exists, so of several
  concurrent writers exactly one wins and the others get :class:`FileExistsError` (where the file
  system has no hard links, an exclusive-create check before the rename, which leaves a race
  window).

:class:`OutputSet` extends this to several files that belong together (a receipt and its sample):
all are written to temporaries and renamed into place only when every one is complete, with
SIGINT/SIGTERM held back during the renames. A process killed outright (SIGKILL, power loss) can
still leave a ``.*.tmp`` temporary behind, or, during the renames, part of a set; it never leaves a
half-written file under a target's name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["Interrupted", "OutputSet", "atomic_path", "check_writable", "write_bytes"]


def check_writable(
    path: str | os.PathLike[str], *, what: str = "output", folder_ok: bool = False
) -> pathlib.Path:
    """Refuse, before anything is written, a target that cannot be written.

    The folder it goes in must exist and be writable, and the target must not be a folder
    (unless ``folder_ok``: an archive may go into an empty folder).

    Raises
    ------
    OSError
        ``FileNotFoundError``, ``NotADirectoryError``, ``IsADirectoryError`` or
        ``PermissionError``, naming the path and what to do.
    """
    target = pathlib.Path(path)
    folder = target.parent
    if not folder.exists():
        raise FileNotFoundError(
            f"{what} {target}: the folder {folder} does not exist; create it first"
        )
    if not folder.is_dir():
        raise NotADirectoryError(f"{what} {target}: {folder} is not a folder")
    if target.is_dir() and not folder_ok:
        raise IsADirectoryError(f"{what} {target} is a folder; give a file name")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{what} {target}: the folder {folder} is not writable")
    return target


def _exists(target: pathlib.Path) -> FileExistsError:
    return FileExistsError(f"{target} exists; it is never overwritten")


_UMASK: list[int] = []
_UMASK_LOCK = threading.Lock()


def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file (mkstemp's temporaries are private, 0o600)."""
    with _UMASK_LOCK:
        if not _UMASK:
            _UMASK.append(os.umask(0o022))
            os.umask(_UMASK[0])
    return 0o666 & ~_UMASK[0]


def _temporary(target: pathlib.Path) -> pathlib.Path:
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)  # a replaced file keeps its mode
        except OSError:
            mode = _new_file_mode()
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return pathlib.Path(name)


def _fsync_file(path: pathlib.Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: pathlib.Path) -> None:
    # A rename is durable only once the folder is synced; not every platform can open a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_NO_HARD_LINKS = {
    getattr(errno, name)
    for name in ("EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK")
    if hasattr(errno, name)
}


def _place(tmp: pathlib.Path, target: pathlib.Path, *, overwrite: bool) -> None:
    """Move a complete temporary to its target (and remove the temporary in every case)."""
    try:
        if overwrite:
            os.replace(tmp, target)
            return
        try:
            os.link(tmp, target)  # fails if the target exists: of concurrent writers, one wins
        except FileExistsError:
            raise _exists(target) from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            # No hard links on this file system (FAT, some network shares): check, then rename.
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                raise _exists(target) from None
            os.close(fd)
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_folder(target.parent)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[pathlib.Path]:
    """A temporary path to write, moved to ``path`` only if the block completes.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("whole", encoding="utf-8")
    >>> target.read_text(encoding="utf-8")
    'whole'
    """
    target = pathlib.Path(path)
    if not overwrite and target.exists():
        raise _exists(target)
    tmp: pathlib.Path | None = None
    try:
        with _signals_held():  # a temporary made is a temporary recorded, to be removed
            tmp = _temporary(target)
        yield tmp
        _fsync_file(tmp)
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    _place(tmp, target, overwrite=overwrite)


def write_bytes(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` whole or not at all (see :func:`atomic_path`)."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)


class Interrupted(BaseException):
    """SIGTERM arrived while an :class:`OutputSet` was open (its temporaries are removed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum


_SIGTERM: int | None = getattr(signal, "SIGTERM", None)
# Signals are held back in Python, not with pthread_sigmask: numpy's worker threads would take a
# signal the main thread blocks, and CPython then runs the handler in the main thread anyway.
_holding = [0]
_pending: list[int] = []


def _raise_for(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Interrupted(signum)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _holding[0]:
        _pending.append(signum)
    else:
        _raise_for(signum)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM (while :func:`_on_signal` handles them) until the block ends."""
    _holding[0] += 1
    try:
        yield
    finally:
        _holding[0] -= 1
    if not _holding[0] and _pending:
        signum = _pending[0]
        _pending.clear()
        _raise_for(signum)


class OutputSet:
    """Several output files written whole and together, or not at all.

    Every target is checked (:func:`check_writable`) when the set is made, before any work or
    writing. :meth:`path` gives a temporary beside a target; :meth:`commit` renames every
    temporary into place once all are complete, with SIGINT and SIGTERM held back until the
    renames are done. Leaving the ``with`` block without :meth:`commit` (an error, an interrupt)
    removes every temporary. While the set is open in the main thread, SIGTERM raises
    :class:`Interrupted` (as SIGINT raises :class:`KeyboardInterrupt`), so a terminated run
    cleans up too.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with OutputSet([folder / "a.txt", folder / "b.txt"]) as out:
    ...     _ = out.path(folder / "a.txt").write_text("a", encoding="utf-8")
    ...     _ = out.path(folder / "b.txt").write_text("b", encoding="utf-8")
    ...     out.commit()
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(self, paths: Any, *, overwrite: bool = True, what: str = "output") -> None:
        targets = [check_writable(p, what=what) for p in paths]
        resolved = [t.resolve() for t in targets]
        for k, r in enumerate(resolved):
            if r in resolved[:k]:
                raise ValueError(
                    f"{what} {targets[k]} is given twice; give each output its own file"
                )
            if not overwrite and targets[k].exists():
                raise _exists(targets[k])
        self._targets = targets
        self._overwrite = overwrite
        self._temps: dict[pathlib.Path, pathlib.Path] = {}
        self._committed = False
        self._previous: dict[int, Any] = {}

    def path(self, target: str | os.PathLike[str]) -> pathlib.Path:
        """The temporary to write for ``target`` (one of the set's paths)."""
        key = pathlib.Path(target)
        if key not in self._targets:
            raise ValueError(f"{target} is not one of this output set's files")
        if key not in self._temps:
            with _signals_held():  # a temporary made is a temporary recorded, to be removed
                self._temps[key] = _temporary(key)
        return self._temps[key]

    def commit(self) -> None:
        """Rename every temporary written into place, all together.

        A target not written is left alone: a command may write only some of its outputs.
        """
        for tmp in self._temps.values():
            _fsync_file(tmp)
        with _signals_held():
            # Check first, then place: a no-clobber set fails before it moves anything.
            if not self._overwrite:
                for target in self._temps:
                    if target.exists():
                        raise _exists(target)
            for target, tmp in self._temps.items():
                _place(tmp, target, overwrite=self._overwrite)
            self._committed = True

    def _discard(self) -> None:
        for tmp in self._temps.values():
            tmp.unlink(missing_ok=True)
        self._temps.clear()

    def __enter__(self) -> OutputSet:
        # By default SIGINT raises KeyboardInterrupt at any point and SIGTERM ends the process
        # at once, with no chance to remove temporaries. While the set is open both raise
        # through _on_signal, which can hold them back; handlers set by others are left alone.
        if threading.current_thread() is threading.main_thread():
            defaults: list[tuple[int, Any]] = [(signal.SIGINT, signal.default_int_handler)]
            if _SIGTERM is not None:
                defaults.append((_SIGTERM, signal.SIG_DFL))
            for signum, default in defaults:
                if signal.getsignal(signum) is default:
                    self._previous[signum] = signal.signal(signum, _on_signal)
        return self

    def __exit__(self, *exc: object) -> None:
        with _signals_held():  # a second signal must not stop the clean-up half-way
            if not self._committed:
                self._discard()
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)
            self._previous.clear()
