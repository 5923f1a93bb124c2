"""The one event-pattern engine (EventBridge rules, SNS filters, Lambda filters, Pipes)."""

from cloudlet.core.patterns.compile import MAX_PATTERN_CHARS, ObjectMatcher, compile_pattern
from cloudlet.core.patterns.errors import PatternError
from cloudlet.core.patterns.match import match

__all__ = ["MAX_PATTERN_CHARS", "ObjectMatcher", "PatternError", "compile_pattern", "match"]
