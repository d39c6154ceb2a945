"""Settings: arguments > environment > defaults, read in one module only."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from resourcemap.config import BoltOptions, Settings, load
from resourcemap.errors import InputError

REPO = Path(__file__).resolve().parents[2]


def test_argument_beats_environment_beats_default(tmp_path):
    env = {"RESOURCEMAP_STORE": "bolt://graph:7687", "RESOURCEMAP_DB": str(tmp_path / "aux.db")}
    assert load(environ={}).store_url == f"sqlite:///{(Path.cwd() / 'data/resourcemap.db').resolve()}"
    from_env = load(environ=env)
    assert from_env.store_url == "bolt://graph:7687" and from_env.aux_db == str(tmp_path / "aux.db")
    given = load(db=tmp_path / "mine.db", environ=env)
    assert given.store_url == f"sqlite:///{tmp_path / 'mine.db'}" and given.aux_db == str(tmp_path / "mine.db")
    assert load(environ={"RESOURCEMAP_DB": str(tmp_path / "c.db")}).store_url == f"sqlite:///{tmp_path / 'c.db'}"
    assert load(environ={}, max_body_bytes=10).max_body_bytes == 10


def test_bolt_options_reach_only_a_graph_server():
    s = load(environ={"RESOURCEMAP_STORE": "neo4j+s://x.databases.neo4j.io", "RESOURCEMAP_BOLT_USER": "neo4j",
                      "RESOURCEMAP_BOLT_PASSWORD": "secret", "RESOURCEMAP_BOLT_DATABASE": "catalogue"})
    assert s.store_options() == {"user": "neo4j", "password": "secret", "database": "catalogue"}
    assert s.store_options("sqlite:///tmp/x.db") == {}
    assert "secret" not in repr(s)  # a password never lands in a log line by accident


def test_environment_hands_the_same_settings_to_another_process(tmp_path):
    s = Settings(store_url="bolt://graph:7687", aux_db=str(tmp_path / "aux.db"),
                 bolt=BoltOptions(user="u", password="p", dialect="falkordb"), seeds_dir=tmp_path, max_body_bytes=99)
    assert load(environ=s.environment()) == s


def test_a_bad_number_in_the_environment_says_what_to_fix():
    with pytest.raises(InputError, match="RESOURCEMAP_MAX_BODY"):
        load(environ={"RESOURCEMAP_MAX_BODY": "5MB"})


def test_only_the_config_module_touches_the_environment():
    offenders = []
    for package in ("resourcemap", "api"):
        for path in sorted((REPO / package).rglob("*.py")):
            if path == REPO / "resourcemap" / "config.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv") \
                        and isinstance(node.value, ast.Name) and node.value.id == "os":
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == [], offenders
