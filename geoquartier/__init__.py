"""geoquartier: maps, walking access and participation for neighbourhood management."""

__version__ = "0.1.0"
