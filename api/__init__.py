"""The HTTP API (FastAPI). Build it with :func:`api.app.create_app`; nothing opens at import time."""
