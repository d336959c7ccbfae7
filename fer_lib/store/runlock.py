"""One writer per run directory: a lock file naming the process that trains the run."""
from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path


class RunLocked(RuntimeError):
    """Another live process is training this run."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


class RunLock:
    """`with RunLock(folder):` holds `folder/.lock` while a run trains there.

    A second process asking for the same run stops with `RunLocked`, naming the first. A lock whose process
    has died (kill -9, a lost session) on this host is stale and taken over, so it never blocks forever.
    """

    NAME = ".lock"

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / self.NAME
        self.owner = dict(pid=os.getpid(), host=socket.gethostname(),
                          started=datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def holder(self) -> dict | None:
        """Who holds the lock, or None when nobody does (a half-written lock file reads as its mtime's)."""
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return dict(pid=None, host=None, started=None, mtime=self.path.stat().st_mtime)

    def _stale(self, holder: dict) -> bool:
        if holder.get("pid") is None:  # the writer died between creating and filling the file
            return time.time() - holder.get("mtime", 0) > 10
        return holder.get("host") == socket.gethostname() and not _alive(int(holder["pid"]))

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                holder = self.holder()
                if holder is None:
                    continue  # released between our attempt and the read
                if not self._stale(holder):
                    raise RunLocked(
                        f"{self.path.parent} is being trained by process {holder.get('pid')} on {holder.get('host')} "
                        f"(since {holder.get('started')}). Wait for it to finish, then ask again: the finished run "
                        f"is reused. If that process is gone from another machine, delete {self.path}.") from None
                self.path.unlink(missing_ok=True)  # stale: its process is dead
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(self.owner, f)
            return self
        raise RunLocked(f"could not take the lock {self.path}: it keeps changing hands")

    def __exit__(self, *exc) -> None:
        if (self.holder() or {}).get("pid") == self.owner["pid"]:
            self.path.unlink(missing_ok=True)
