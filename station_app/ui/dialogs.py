"""Every message box goes through here, so tests can answer them instead of blocking on exec().

Tests set ``dialogs.answer`` to a callable returning the button (or True/False) to choose, and
``dialogs.fill`` to a callable that fills in a small form dialog shown with ``run``.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QWidget

from station_app.i18n import tr

# In tests: a function (kind, title, text) -> bool that answers instead of showing the box.
answer: Callable[[str, str, str], bool] | None = None
# Every message shown, for tests to inspect: (kind, title, text).
shown: list[tuple[str, str, str]] = []
# In tests: a function (dialog) -> bool that sets a form dialog's fields and says whether to
# press OK (True) or Cancel (False), instead of showing it.
fill: Callable[[QDialog], bool] | None = None


class DialogButtons(QDialogButtonBox):
    """A dialog's two buttons: the one that does what the dialog is for (``accepted`` runs
    ``on_accept``, the dialog's ``accept`` unless told) and the one that closes it (``reject``)."""

    def __init__(self, dialog: QDialog, accept_text: str, reject_text: str,
                 on_accept: Callable[[], object] | None = None) -> None:
        super().__init__()
        self.accept_button = self.addButton(accept_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = self.addButton(reject_text, QDialogButtonBox.ButtonRole.RejectRole)
        self.accepted.connect(on_accept or dialog.accept)
        self.rejected.connect(dialog.reject)


def _box(kind: str, parent: QWidget | None, title: str, text: str, question: bool = False,
         yes: str | None = None, no: str | None = None) -> bool:
    shown.append((kind, title, text))
    if answer is not None:
        return answer(kind, title, text)
    icon = {
        "info": QMessageBox.Icon.Information,
        "warning": QMessageBox.Icon.Warning,
        "error": QMessageBox.Icon.Critical,
        "question": QMessageBox.Icon.Question,
    }[kind]
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    if question:
        yes_button = box.addButton(yes or tr("Yes"), QMessageBox.ButtonRole.YesRole)
        no_button = box.addButton(no or tr("No"), QMessageBox.ButtonRole.NoRole)
        box.setDefaultButton(no_button)
        box.exec()
        return box.clickedButton() is yes_button
    box.addButton(tr("OK"), QMessageBox.ButtonRole.AcceptRole)
    box.exec()
    return True


def info(parent: QWidget | None, title: str, text: str) -> None:
    _box("info", parent, title, text)


def warning(parent: QWidget | None, title: str, text: str) -> None:
    _box("warning", parent, title, text)


def error(parent: QWidget | None, title: str, text: str) -> None:
    _box("error", parent, title, text)


def ask(parent: QWidget | None, title: str, text: str, yes: str | None = None, no: str | None = None) -> bool:
    """A yes/no question; "No" is the default. ``yes``/``no``: the buttons' own words."""
    return _box("question", parent, title, text, question=True, yes=yes, no=no)


def run(dialog: QDialog) -> bool:
    """Show a small form dialog (a date, a reason) modally; True when it was accepted.

    With ``fill`` set, the dialog is filled in instead and "OK" goes through the dialog's own
    ``accept()``, so its checks still apply (a refused OK answers False).
    """
    if fill is None:
        return dialog.exec() == QDialog.DialogCode.Accepted
    if not fill(dialog):
        dialog.reject()
        return False
    dialog.accept()
    return dialog.result() == QDialog.DialogCode.Accepted
