"""The command line: every command documented, init's safety, nodes' filters, exit codes."""
from __future__ import annotations

import json

import pytest

from resourcemap.cli import build_parser, main


def _subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def test_every_command_has_help_and_common_options():
    cmds = _subcommands()
    assert {"init", "serve", "nodes"} <= set(cmds)
    for name, p in cmds.items():
        text = p.format_help()
        assert "--db" in text and "--json" in text, f"{name} lacks the common options"
        assert p.description or any(a.help for a in p._actions), f"{name} has no help"


def test_init_refuses_overwrite_then_force(tmp_path, capsys):
    db = tmp_path / "c.db"
    assert main(["--db", str(db), "init", "--seed", "none", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["nodes"] > 0 and set(out["cities"]) == {"13206", "11225", "19213", "13223", "13218"}
    assert main(["--db", str(db), "init"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--force" in err[0]
    assert main(["--db", str(db), "init", "--seed", "府中市", "--force", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cities"] == ["13206"]


def test_seed_none_has_geography_only(tmp_path, capsys):
    db = tmp_path / "c.db"
    main(["--db", str(db), "init", "--seed", "none"])
    capsys.readouterr()
    assert main(["--db", str(db), "nodes", "--json"]) == 0
    kinds = {n["kind"] for n in json.loads(capsys.readouterr().out)}
    assert kinds == {"municipality", "area"}


def test_nodes_filters(seeded_db, capsys):
    assert main(["--db", str(seeded_db), "nodes", "--city", "府中市", "--kind", "area", "--json"]) == 0
    areas = json.loads(capsys.readouterr().out)
    assert len(areas) == 11 and all(a["city"] == "13206" for a in areas)
    assert main(["--db", str(seeded_db), "nodes", "--city", "13206", "--category", "居場所", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and all(any(c.startswith("ibasho") for c in h["categories"]) for h in hits)
    assert main(["--db", str(seeded_db), "nodes", "--city", "府中市", "--kind", "area"]) == 0
    human = capsys.readouterr().out
    assert "福祉エリア" in human and "（11 件）" in human


def _run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse errors
        return int(exc.code)


@pytest.mark.parametrize("argv", [
    ["nodes", "--kind", "spaceship"],
    ["nodes", "--city", "大阪市"],
    ["nodes", "--category", "宇宙旅行"],
    ["nodes", "--no-such-flag"],
])
def test_bad_input_exits_2_with_one_line(seeded_db, capsys, argv):
    assert _run(["--db", str(seeded_db), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("resourcemap:")
