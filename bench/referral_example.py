"""The realistic referral slip of the docs: a hypertension patient referred by a commune health
station to the district health centre. ``uv run python -m bench.referral_example docs/referral-slip-example.pdf``
writes it (then ``pdftoppm -png -r 60 -singlefile`` gives the PNG beside it).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from station_app.domain.referral import EarlierTreatment, Referral
from station_app.printing.referral_slip import Station, render_referral

STATION = Station(
    name="Trạm Y tế xã Tân Phú",
    governing_body="UBND xã Tân Phú",
    commune="Tân Phú",
    province="Tỉnh Đồng Nai",
    facility_code="75123",
)


def example_referral() -> Referral:
    return Referral(
        seq=27,
        year=2026,
        record_no="TP-2024-00415",
        book_no="27",
        sending_station="Trạm Y tế xã Tân Phú",
        sending_facility_code="75123",
        receiving_facility="TTYT huyện Định Quán",
        receiving_facility_code="75010",
        patient_name="Nguyễn Thị Hường",
        sex="2",
        birth_year=1958,
        address="Ấp Ngọc Lâm 3, xã Tân Phú, tỉnh Đồng Nai",
        ethnicity="Kinh",
        nationality="Việt Nam",
        occupation="Làm ruộng",
        workplace="Không",
        insurance_no="HT3757512345678",
        insurance_valid_to=dt.date(2026, 12, 31),
        earlier_treatments=[
            EarlierTreatment(
                "TYT xã Tân Phú (quản lý tăng huyết áp ngoại trú)",
                dt.date(2024, 3, 12),
                dt.date(2026, 1, 14),
            ),
        ],
        clinical_signs=(
            "Đau đầu vùng chẩm, chóng mặt 3 ngày nay, không yếu liệt. Huyết áp đo 3 lần trong "
            "tuần: 170/100, 165/100, 172/104 mmHg dù đã dùng thuốc đều. Mạch 88 lần/phút, "
            "tim đều, phổi không ran."
        ),
        test_results="Đường máu mao mạch lúc đói 6,4 mmol/L. Điện tim: nhịp xoang, không thấy "
        "dày thất trái rõ. Nước tiểu: protein (-).",
        diagnosis="Tăng huyết áp vô căn, chưa kiểm soát được với điều trị tại tuyến xã",
        icd_main="I10",
        icd_extra=["E78.5"],
        procedures="Không",
        treatment="Amlodipin 5 mg × 1 viên/ngày; Losartan 50 mg × 1 viên/ngày; tư vấn ăn nhạt, "
        "vận động.",
        condition="Tỉnh táo, tiếp xúc tốt, huyết áp 165/100 mmHg, mạch 86 lần/phút.",
        reason="1a",
        direction="Khám chuyên khoa tim mạch, điều chỉnh phác đồ điều trị tăng huyết áp; "
        "đánh giá tổn thương cơ quan đích.",
        transfer_at=dt.datetime(2026, 1, 15, 9, 30),
        one_year=True,
        transport="Tự túc",
        escort_name="",
        clinician_name="Lê Văn Thành",
        clinician_code="000123/ĐNA-CCHN",
        signer_name="Phạm Thị Ngọc Ánh",
        signer_title="Trưởng Trạm Y tế",
        signed_on=dt.date(2026, 1, 15),
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m bench.referral_example OUT.pdf\n")
        return 2
    out = render_referral(example_referral(), STATION, Path(args[0]))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
