"""Replace a file's content so that a reader sees either the old file or the new one, whole.

The POS application, node_exporter and people with ``cat`` read these files while the agent
rewrites them; a reader must never see half a JSON object or a truncated metrics file, and a
power cut must leave the old or the new content, not an empty file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same directory (so the
    rename stays on one filesystem), fsync'd, given ``mode``, then renamed over ``path``.

    The parent directory is created if missing. Raises OSError; on failure ``path`` is left
    as it was and the temporary file is removed.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name starts with "." and does not end in the target's suffix, so globbing
    # readers (node_exporter takes *.prom) never pick it up half written.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            # mkstemp creates 0600; the readers are other users (the POS app, node_exporter).
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; some filesystems refuse to open a directory for it,
    # and the content is already safe, so that is not an error.
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
