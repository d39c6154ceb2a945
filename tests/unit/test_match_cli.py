"""``resourcemap match`` and ``resourcemap unmet`` on a copy of the seeded catalogue."""
from __future__ import annotations

import json

from resourcemap.cli import main


def test_match_json_human_and_unmet(seeded_copy, capsys):
    db = str(seeded_copy)
    argv = ["--db", db, "match", "--city", "府中市", "--address", "白糸台三丁目5-1", "--need", "介護予防",
            "--need", "ヤングケアラー", "--age", "83", "--max-distance", "1500", "--limit", "3"]
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["location"]["chome"] == "白糸台三丁目"
    kayoi = next(r for r in data["results"] if r["category"] == "kayoi")
    assert kayoi["matches"] and len(kayoi["matches"]) <= 3
    assert any(u["category"] == "childcare.young_carer" for u in data["unmet"])

    assert main(argv) == 0
    human = capsys.readouterr().out
    assert "■ ニーズ「介護予防」→ 通いの場・介護予防" in human and "理由:" in human and "■ 支援チーム" in human
    assert "5-1" not in human  # the 番地 is dropped
    assert "--record-unmet" in human  # a search alone counts nothing, and says how to count

    assert main(["--db", db, "unmet", "--city", "府中", "--json", "--raw"]) == 0
    assert not [r for r in json.loads(capsys.readouterr().out) if r["category"] == "childcare.young_carer"]
    for _ in range(2):  # counted on purpose, twice
        assert main([*argv, "--record-unmet"]) == 0
        assert "未充足として記録しました" in capsys.readouterr().out

    assert main(["--db", db, "unmet", "--city", "府中", "--json", "--raw"]) == 0  # an administrator's view
    rows = json.loads(capsys.readouterr().out)
    young = [r for r in rows if r["category"] == "childcare.young_carer"]
    assert young and young[0]["count"] == 2 and young[0]["age_band"] == "80-89"  # the two recorded runs above
    assert main(["--db", db, "unmet", "--city", "府中", "--json"]) == 0  # anyone else's: 2 is below 3
    young = [r for r in json.loads(capsys.readouterr().out) if r["category"] == "childcare.young_carer"]
    assert young and young[0]["count"] is None and young[0]["suppressed"] and young[0]["label"] == "3未満"
    assert main(["--db", db, "unmet", "--city", "府中"]) == 0
    assert "ヤングケアラー支援" in capsys.readouterr().out


def test_bad_input_exits_2_with_one_line(seeded_copy, capsys):
    db = str(seeded_copy)
    assert main(["--db", db, "match", "--city", "府中市", "--address", "白糸台三丁目", "--need", "ひきこもろ"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ひきこもり支援" in err[0]
    assert main(["--db", db, "match", "--city", "府中市", "--lat", "35.66", "--need", "居場所"]) == 2
    assert "--lng" in capsys.readouterr().err
    assert main(["--db", db, "match", "--city", "府中市", "--lat", "35.0", "--lng", "139.0", "--need", "居場所"]) == 2
    assert "区域外" in capsys.readouterr().err
