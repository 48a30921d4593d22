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
