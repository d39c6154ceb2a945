"""The graph: stores (system of record) and the in-memory read model."""
