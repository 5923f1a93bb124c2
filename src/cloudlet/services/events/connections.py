"""EventBridge connections and API destinations (being written)."""

from __future__ import annotations


class ConnectionsApi:
    """The connection and API destination operations of the EventBridge provider."""

    def _init_connections(self) -> None:
        """Create the tables of connections and API destinations."""
