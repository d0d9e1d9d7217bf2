"""The geoquartier HTTP API (FastAPI): ``api.main:app``; see ``docs/api.md``."""
