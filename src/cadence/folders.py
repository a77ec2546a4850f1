"""cadence's own folders in the user's cache and config: made private (0700) whatever the umask.

A folder that another user can write into (left 0777 by a umask of 000, or
owned by someone else) is not trusted: the caches in it are not read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def cache_folder(name: str) -> Path:
    """The folder NAME inside cadence's user cache folder (not created)."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("cadence")) / name


def config_folder(name: str) -> Path:
    """The folder NAME inside cadence's user config folder (not created)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("cadence")) / name


def make_private(folder: Path) -> Path:
    """`folder`, created with every missing parent as 0700 whatever the umask; cadence's own folders narrowed to 0700.

    Raises OSError when it cannot be made.
    """
    missing: list[Path] = []
    path = folder
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        os.chmod(path, 0o700)  # mkdir's mode is narrowed by the umask, never widened; be exact
    # The folders cadence owns (…/cadence and below) are made 0700 even when they were there before.
    for path in (folder, *folder.parents):
        if path.name == "cadence":
            _narrow(path)
            for inner in folder.relative_to(path).parents:
                if inner != Path("."):
                    _narrow(path / inner)
            _narrow(folder)
            break
    _trusted.clear()
    return folder


def _narrow(path: Path) -> None:
    try:
        info = path.stat()
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    except OSError:
        pass


_trusted: dict[Path, bool] = {}


def trusted(folder: Path) -> bool:
    """True when no other user can change what is in `folder`: it and every folder above it are
    owned by this user or root and not writable by group or others (a root-owned sticky folder like /tmp is fine)."""
    if folder in _trusted:
        return _trusted[folder]
    _trusted[folder] = answer = _check(folder)
    return answer


def _check(folder: Path) -> bool:
    me = os.geteuid()
    try:
        path = folder.resolve()
        for current in (path, *path.parents):
            info = os.stat(current)
            if info.st_uid not in (me, 0):
                return False
            if stat.S_IMODE(info.st_mode) & 0o022:
                if current != path and info.st_uid == 0 and info.st_mode & stat.S_ISVTX:
                    continue
                return False
    except OSError:
        return False
    return True


def cache_ready(folder: Path) -> bool:
    """True when cache entries may be written to `folder`: it is made private first, and when it was
    open to others, whatever is in it is removed (someone else may have put it there)."""
    if folder.is_dir() and trusted(folder):
        return True
    existed = folder.is_dir()
    make_private(folder)
    if not trusted(folder):
        return False
    if existed:
        for entry in folder.iterdir():
            if entry.is_file() or entry.is_symlink():
                entry.unlink(missing_ok=True)
    return True


def make_folder(folder: Path) -> Path:
    """`folder` created (with its parents); a new folder is private (0700) whatever the umask, and one of
    cadence's own config or cache folders is made private even when it exists."""
    own = (config_folder("x").parent, cache_folder("x").parent)
    absolute = folder.absolute()
    if any(absolute == root or root in absolute.parents for root in own):
        return make_private(absolute)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # the mode is masked by the umask, which only narrows it
    return folder
