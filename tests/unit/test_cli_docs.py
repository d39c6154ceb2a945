"""docs/cli.md documents every command exactly as the parser defines it (regenerate on change)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _gen():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cli_reference_is_up_to_date():
    gen = _gen()
    want = gen.render()
    have = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert have == want, "docs/cli.md is stale: run `python scripts/gen_cli_docs.py`"


def test_every_contract_command_exists_and_is_documented():
    text = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for cmd in ("init", "serve", "nodes", "keys", "match", "gaps", "unmet", "import", "export", "migrate", "network"):
        assert f"## `resourcemap {cmd}`" in text, cmd
