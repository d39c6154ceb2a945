"""The agency network for 多機関協働: who works with whom, where the silos and single points of failure are.

A feature beside :mod:`resourcemap.match` and :mod:`resourcemap.gaps`, over the read model's graph:
:mod:`.analysis` holds the analyses (pure functions over ``ReadModel.graph``), :mod:`.views` the
one JSON bundle every output shows (``GET /v1/network``, ``resourcemap network``), its tables, the
interactive page and the meeting-report section (templates of :mod:`resourcemap.render`). See
``docs/network.md``.
"""
from __future__ import annotations

from .views import gap_report_section, network_data, network_html, network_report_section, write_network

__all__ = ["network_data", "network_html", "network_report_section", "gap_report_section", "write_network"]
