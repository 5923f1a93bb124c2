"""What an evaluation sees: the state's input, the context object and the variables in scope.

JSONPath mode reads ``input`` through ``$``, ``context`` through ``$$`` and variables through
``$name``; JSONata mode binds ``$states`` (``input``, ``context``, and where defined ``result``
and ``errorOutput``) and the variables by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Env:
    """The values an expression or path of one state may read (all JSON values)."""

    input: Any
    context: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    result: Any = None  # JSONata ``$states.result`` (after a Task, Map or Parallel ran)
    error_output: Any = None  # JSONata ``$states.errorOutput`` (in a Catch)
    has_result: bool = False
    has_error_output: bool = False
