"""Console sessions on a SQLite store: each open store holds an exclusive
``flock`` on its own owner file; a session whose file is no longer locked has
died (the kernel drops the lock even on SIGKILL). This works for every
process on one host, which is all a SQLite file can be shared by."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from pathlib import Path

from polaris_tui.store.files import ensure_folder, file_mode

try:  # POSIX only; without it, owner liveness falls back to "same process only".
    import fcntl

    HAVE_FCNTL = True
except ImportError:  # pragma: no cover - Windows
    HAVE_FCNTL = False

log = logging.getLogger(__name__)


class OwnerLock:
    """An exclusive ``flock`` on ``<store>-owners/<token>.lock``, held while the
    store is open. The kernel drops it when the process dies (even SIGKILL),
    so "lock free" means "owner gone"."""

    def __init__(self, store_path: Path, *, shared: bool = False) -> None:
        self.dir = store_path.with_name(store_path.name + "-owners")
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.shared = shared
        self._fd: int | None = None

    def _file(self, token: str) -> Path:
        safe = token.replace("/", "_").replace(":", "_")
        return self.dir / f"{safe}.lock"

    def acquire(self) -> None:
        """Create our owner file already locked: it is locked under a hidden
        temporary name, then renamed into place, so no other process can ever
        see it unlocked (and take us for dead) while we start."""
        if not HAVE_FCNTL:
            return
        ensure_folder(self.dir, shared=self.shared)
        final = self._file(self.token)
        temporary = final.with_name("." + final.name + ".tmp")
        mode = file_mode(self.shared)
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode)
        try:
            os.fchmod(fd, mode)  # the umask narrowed it; group members must read it
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(temporary, final)
        except OSError:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise
        self._fd = fd
        self.sweep()

    def sweep(self) -> None:
        """Remove the owner files of processes that died (best effort).

        Safe because a live owner's file is locked from the moment it exists.
        A dead owner's rows still count as dead: a missing file means gone.
        """
        if not HAVE_FCNTL:
            return
        try:
            paths = list(self.dir.glob("*.lock"))
        except OSError as exc:
            log.debug("cannot list owner files: %s", exc)
            return
        mine = self._file(self.token)
        for path in paths:
            if path == mine:
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:
                continue  # gone already, or not ours to read
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # locked: its process is alive
            else:
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self._file(self.token).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not remove owner file: %s", exc)
        os.close(self._fd)
        self._fd = None

    def is_alive(self, token: str | None) -> bool:
        """Whether the process that wrote ``token`` still has the store open."""
        if token is None:
            return False  # rows from before owners were recorded
        if token == self.token:
            return True
        if not HAVE_FCNTL:  # pragma: no cover - cannot tell: never mark a possibly live row
            return True
        path = self._file(token)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("cannot check owner %s: %s", token, exc)
            return True  # unsure: never mark a possibly live row
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError as exc:
            log.warning("cannot lock owner file %s: %s", path, exc)
            return True
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)
