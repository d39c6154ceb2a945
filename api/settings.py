"""API settings, read when the app is created (never at import time)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    store_url: str
    #: SQLite file for API keys, unmet-need counters and the corrections queue (beside the
    #: catalogue for the embedded store; a local file when the catalogue is on a graph server).
    aux_db: str
    max_body_bytes: int = 5 * 1024 * 1024
    public_pages: bool = True
    #: The HSDS API (/hsds/) answers without a key; False: any key (viewer or higher) is needed.
    hsds_public: bool = True
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Settings":
        from resourcemap.graph.stores import store_url
        from resourcemap.keys import aux_path

        url = store_url(None)
        return cls(store_url=url, aux_db=aux_path(url),
                   max_body_bytes=int(os.environ.get("RESOURCEMAP_MAX_BODY", 5 * 1024 * 1024)),
                   hsds_public=_flag("RESOURCEMAP_HSDS_PUBLIC", default=True))


def _flag(name: str, *, default: bool) -> bool:
    """An on/off environment setting: 1/true/yes/on or 0/false/no/off (anything else is refused)."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"環境変数 {name} は 1（オン）か 0（オフ）で指定してください（指定: {value!r}）。")
