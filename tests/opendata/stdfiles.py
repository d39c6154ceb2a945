"""Files built to the 自治体標準オープンデータセット columns (STANDARD-DATASETS.md), for the import tests.

Points are real 町丁目 points (resourcemap.geo.chome), never made up: 府中市's for rows inside the city,
入間市's for a point outside it.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from resourcemap.geo.chome import chome_units

FACILITY_COLUMNS = ["都道府県コード又は市区町村コード", "NO", "都道府県名", "市区町村名", "名称", "名称_カナ", "名称_通称",
                    "住所", "方書", "緯度", "経度", "電話番号", "利用可能曜日", "開始時間", "終了時間",
                    "利用可能日時特記事項", "バリアフリー情報", "URL", "備考"]
FUCHU = chome_units("13206")
IRUMA = chome_units("11225")


def facility(no: int | str, name: str, point: int = 0, **more: Any) -> dict[str, Any]:
    """A 公共施設一覧 row of 府中市 at the real point of its *point*-th 町丁目."""
    c = FUCHU[point % len(FUCHU)]
    return {"都道府県コード又は市区町村コード": "132063", "NO": str(no), "都道府県名": "東京都", "市区町村名": "府中市",
            "名称": name, "名称_カナ": "テスト", "住所": f"東京都府中市{c.town}1-1", "緯度": f"{c.lat}", "経度": f"{c.lng}",
            "電話番号": f"042-300-{int(str(no)) % 10000:04d}" if str(no).isdigit() else "", "利用可能曜日": "月～金",
            "開始時間": "9:00", "終了時間": "17:00", **more}


def csv_bytes(rows: list[dict[str, Any]], columns: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    columns = columns or FACILITY_COLUMNS
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns])
    return out.getvalue().encode(encoding)
