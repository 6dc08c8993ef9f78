"""File modes of everything Polaris writes next to its store.

The store holds customers' names and e-mails and the operation and audit
logs, so by default it is private whatever the umask: files 0600, folders
0700 (folders only when Polaris creates them; an existing folder the user
chose is left as it is).

A group-shared SQLite store (``store.shared_group = true``, for several
operators on one host) is 0660 in a setgid 2770 folder, and every file gets
the folder's group, so each member can write it. SQLite gives its ``-wal``
and ``-shm`` files the mode of the database file, so creating the database
file with the right mode before SQLite opens it is enough for all three.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
SHARED_FILE = 0o660
SHARED_FOLDER = 0o2770  # setgid: new files take the folder's group


def file_mode(shared: bool) -> int:
    return SHARED_FILE if shared else PRIVATE_FILE


def folder_mode(shared: bool) -> int:
    return SHARED_FOLDER if shared else PRIVATE_FOLDER


def ensure_folder(path: Path, *, shared: bool = False) -> None:
    """Create ``path`` (and missing parents) with the private or shared mode.

    ``os.mkdir``'s mode is narrowed by the umask, and setgid is not applied
    by it at all, so each created folder is chmod-ed explicitly.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue  # another process made it meanwhile: its mode is its own
        os.chmod(folder, folder_mode(shared))


def create_file(path: Path, *, shared: bool = False) -> None:
    """Create ``path`` empty with the private or shared mode, if it is missing.

    An existing file keeps its mode (a shared store stays shared). In shared
    mode the file gets its folder's group even if the folder lacks setgid.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, file_mode(shared))
    except FileExistsError:
        return
    try:
        os.fchmod(fd, file_mode(shared))  # the umask narrowed the mode given to open()
        if shared:
            group = path.parent.stat().st_gid
            if os.fstat(fd).st_gid != group:
                os.fchown(fd, -1, group)
    finally:
        os.close(fd)


def open_private_append(path: Path, *, shared: bool = False) -> BinaryIO:
    """Open a log file for appending, created with the private (or shared) mode."""
    create_file(path, shared=shared)
    return path.open("ab")


def describe_mode(path: Path) -> str:
    """``0600`` style text for messages and tests."""
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"
