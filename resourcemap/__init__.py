"""resourcemap — a graph of social resources and support agencies for 重層的支援体制整備事業.

Nodes (agencies, 拠点, 通いの場, 補助団体, coordinators, 福祉エリア …) and their relationships
live in a :class:`~resourcemap.graph.stores.base.GraphStore`; an in-memory read model
(networkx + a spatial index) answers matching, gap and network queries.
"""
__version__ = "0.1.0"
