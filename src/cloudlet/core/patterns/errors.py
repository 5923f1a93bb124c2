"""The error a bad event pattern or filter policy raises, carrying AWS's reason text."""

from __future__ import annotations


class PatternError(ValueError):
    """A pattern failed validation; ``reason`` is the text AWS puts after "Reason: "."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def events_message(self) -> str:
        """The message EventBridge returns with ``InvalidEventPatternException``."""
        return f"Event pattern is not valid. Reason: {self.reason}"
