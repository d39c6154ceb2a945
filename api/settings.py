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
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Settings":
        from resourcemap.graph.stores import store_url
        from resourcemap.keys import aux_path

        url = store_url(None)
        return cls(store_url=url, aux_db=aux_path(url),
                   max_body_bytes=int(os.environ.get("RESOURCEMAP_MAX_BODY", 5 * 1024 * 1024)))
