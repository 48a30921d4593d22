"""Hypertension and diabetes programmes: refill dates, control status and the high-risk rule.

Thresholds follow Quyết định 5904/QĐ-BYT (2019): hypertension at ≥ 140/90 mmHg, target
< 140/90 (< 130/80 with diabetes); diabetes controlled at a fasting glucose < 7.0 mmol/L.
Prescriptions last 30 days by default, at most 90 (the diseases of Phụ lục VII, Thông tư 26/2025).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from station_app.i18n import N_, tr

DEFAULT_DAYS_SUPPLIED = 30
MAX_DAYS_SUPPLIED = 90

HYPERTENSION_THRESHOLD = (140, 90)  # diagnosis, and the usual target (below it)
DIABETIC_BP_TARGET = (130, 80)
HIGH_RISK_BP = (160, 100)
FASTING_GLUCOSE_TARGET = 7.0  # mmol/L, controlled below it


class Programme(StrEnum):
    HYPERTENSION = "hypertension"
    DIABETES = "diabetes"

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return tr(_PROGRAMME_TITLES[self])


_PROGRAMME_TITLES = {Programme.HYPERTENSION: N_("Hypertension"), Programme.DIABETES: N_("Diabetes")}


class Control(StrEnum):
    CONTROLLED = "controlled"
    UNCONTROLLED = "uncontrolled"
    UNKNOWN = "unknown"  # no reading to judge by

    @property
    def title(self) -> str:  # type: ignore[override]  # the translated name, not str.title()
        return tr(_CONTROL_TITLES[self])


_CONTROL_TITLES = {
    Control.CONTROLLED: N_("Controlled"),
    Control.UNCONTROLLED: N_("Not controlled"),
    Control.UNKNOWN: N_("No reading"),
}


@dataclass(frozen=True)
class BloodPressure:
    """One reading in mmHg."""

    systolic: int
    diastolic: int

    def __post_init__(self) -> None:
        if not (0 < self.diastolic < self.systolic <= 300):
            raise ValueError(f"implausible blood pressure {self.systolic}/{self.diastolic}")

    def at_least(self, systolic: int, diastolic: int) -> bool:
        """True when either number reaches its threshold (≥ 140/90 means 140+ or 90+)."""
        return self.systolic >= systolic or self.diastolic >= diastolic

    def below(self, systolic: int, diastolic: int) -> bool:
        """True when both numbers are under the target (< 140/90)."""
        return self.systolic < systolic and self.diastolic < diastolic

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


def refill_due(dispensed_on: dt.date, days_supplied: int = DEFAULT_DAYS_SUPPLIED) -> dt.date:
    """The day the medicine runs out and the patient should come back: dispense date + days."""
    if not 1 <= days_supplied <= MAX_DAYS_SUPPLIED:
        raise ValueError(f"days supplied must be 1 to {MAX_DAYS_SUPPLIED}, not {days_supplied}")
    return dispensed_on + dt.timedelta(days=days_supplied)


def bp_target(has_diabetes: bool = False) -> tuple[int, int]:
    """(systolic, diastolic) the last reading must be below to count as controlled."""
    return DIABETIC_BP_TARGET if has_diabetes else HYPERTENSION_THRESHOLD


def meets_hypertension_threshold(reading: BloodPressure) -> bool:
    """True for a reading of ≥ 140/90 (the diagnosis threshold, to confirm on other days)."""
    return reading.at_least(*HYPERTENSION_THRESHOLD)


def bp_control(last: BloodPressure | None, has_diabetes: bool = False) -> Control:
    """Control status from the last reading: < 140/90, or < 130/80 with diabetes."""
    if last is None:
        return Control.UNKNOWN
    return Control.CONTROLLED if last.below(*bp_target(has_diabetes)) else Control.UNCONTROLLED


def glucose_control(fasting_mmol_l: float | None) -> Control:
    """Control status from the last fasting glucose: controlled below 7.0 mmol/L."""
    if fasting_mmol_l is None:
        return Control.UNKNOWN
    if fasting_mmol_l <= 0:
        raise ValueError(f"implausible glucose {fasting_mmol_l}")
    return Control.CONTROLLED if fasting_mmol_l < FASTING_GLUCOSE_TARGET else Control.UNCONTROLLED


def is_high_risk(last: BloodPressure | None, stroke_or_heart_attack: bool = False) -> bool:
    """The call list's risk rule: last BP ≥ 160/100, or ≥ 140/90 after a stroke or heart attack."""
    if last is None:
        return False
    if last.at_least(*HIGH_RISK_BP):
        return True
    return stroke_or_heart_attack and last.at_least(*HYPERTENSION_THRESHOLD)
