"""Validation results: a problem names its field and says what is wrong, in any language."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from station_app.i18n import translate

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (``error``: refuse to save) or odd (``warning``: ask) about a field.

    ``message`` is the English source text with ``{named}`` placeholders; ``text()`` translates
    it first and formats after, so the catalogue holds whole sentences. Parameters named in
    ``translated`` are themselves source strings (a sex, a unit) and are translated too.
    """

    field: str
    message: str
    severity: Severity = "error"
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)  # (``field`` is the field's name)
    translated: tuple[str, ...] = ()

    def text(self, lang: str | None = None) -> str:
        params = {
            key: translate(value, lang) if key in self.translated and isinstance(value, str) else value
            for key, value in self.params.items()
        }
        return translate(self.message, lang).format(**params)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if not p.is_error]


class WithProblems:
    """A row read from a file together with its problems: the errors refuse it, the warnings ask."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings(self.problems)

    @property
    def ok(self) -> bool:
        return not self.errors
