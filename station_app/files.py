"""Writing files: every file Trạm writes (PDFs, CSV and XLSX lists, reports) goes through here.

Below every layer that writes files (reports, printing, the UI), so none of them imports another
for it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes, *, private: bool = False) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a
    half-written one: a temporary file in the same folder, flushed to disk, then renamed over
    the target (an existing file is replaced, keeping its permissions). ``private``: a file with
    personal data, readable by its owner only (0600), whatever the old file's permissions."""
    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    if private:
        mode = 0o600
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):  # not every file system keeps Unix permissions
            tmp.chmod(mode)
        tmp.replace(target)  # os.replace: atomic on the same file system, also on Windows
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return target
