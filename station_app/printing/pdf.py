"""Helpers shared by every PDF Trạm writes: atomic writing, document metadata, and escaping of
user text for reportlab's Paragraph markup."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from station_app import APP_NAME, __version__

if TYPE_CHECKING:  # the app writes CSV and XLSX files through here without loading reportlab
    from reportlab.pdfgen.canvas import Canvas


def markup_text(text: str) -> str:
    """User text made safe for ``Paragraph``: ``<``, ``>`` and ``&`` print literally, and line
    breaks stay line breaks. Never pass unescaped user text to a Paragraph."""
    return "<br/>".join(escape(line) for line in text.splitlines() or [""])


def set_metadata(canvas: Canvas, *, title: str, author: str, subject: str = "") -> None:
    """Title, author, subject and creator in the PDF's document information."""
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setCreator(f"{APP_NAME} {__version__}")


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a
    half-written one: a temporary file in the same folder, flushed to disk, then renamed over
    the target (an existing file is replaced, keeping its permissions)."""
    target = Path(path)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
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
