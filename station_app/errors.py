"""``UserError``: the base of every error a person can act on (a file that is not ours, a full
disk, a refused import, a date written wrongly…).

Each carries an English message (translated when shown) with named placeholders, and is shown as
one message — a dialog in the app, one line on the command line — never as a traceback. The
command line catches it once (``cli.commands.main``), the app once (its error hook and its
background operations). Anything else is a bug.
"""

from __future__ import annotations

from station_app.i18n import N_, translate


class UserError(Exception):
    """Something a person can act on. ``message`` is the English source text, ``params`` fill it."""

    message = N_("The action could not be done.")

    def __init__(self, message: str | None = None, /, **params: object) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (the current language by default), placeholders filled."""
        return translate(self.message, lang).format(**self.params)


# The reasons a file cannot be written, in the person's language (the system's own words,
# ``strerror``, are English whatever the language of Trạm).
_OS_REASONS = {
    "ENOSPC": N_("the disk is full: free some space on it, then try again"),
    "EDQUOT": N_("the disk is full: free some space on it, then try again"),
    "EACCES": N_("this account may not write there"),
    "EPERM": N_("this account may not write there"),
    "EROFS": N_("the disk is read-only"),
    "EISDIR": N_("it is a folder, not a file"),
    "ENOTDIR": N_("a part of the path is a file, not a folder"),
    "EEXIST": N_("a file of that name is in the way"),
    "ENAMETOOLONG": N_("the name is too long"),
    "ENOENT": N_("the folder does not exist"),
}


def os_reason(exc: OSError) -> str:
    """Why ``exc`` happened, in the current language when it is a common reason; else the system's
    words."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    if name in _OS_REASONS:
        return translate(_OS_REASONS[name])
    return exc.strerror or str(exc)
