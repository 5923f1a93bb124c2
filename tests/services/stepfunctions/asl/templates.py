"""AWS's recorded state machine templates (``templates/**/*.json5``) as plain JSON text.

The files are JSON5 (comments, trailing commas, unquoted keys); ``to_json`` turns them into the
JSON that the recording tests sent, with the placeholders those tests filled in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .recorded import REFERENCE

TEMPLATES = REFERENCE / "templates"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:111111111111:function:lambda_function_1_name"
_RESOURCE_PLACEHOLDER = re.compile(
    r'"Resource"(\s*):(\s*)"(__tbd__|_tbd_|_TBD_|__tbc__|%[A-Z_]+%|arn:aws:lambda:your-region:[^"]*)"'
)
_CONTEXT_PLACEHOLDER = "%CONTEXT_OBJECT_LITERAL_PLACEHOLDER%"


def strip_json5(text: str) -> str:
    """JSON from JSON5 text: comments dropped, trailing commas dropped, bare keys quoted."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            end = i + 1
            while text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            i = end + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        elif bare := re.match(r"([A-Za-z_$][\w$]*)(\s*:)", text[i:]):
            out.append(f'"{bare.group(1)}"{bare.group(2)}')
            i += bare.end()
        else:
            out.append(char)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def to_json(path: Path) -> str:
    """The template at ``path`` as the recording test sent it (Resource placeholders: a Lambda ARN)."""
    text = _RESOURCE_PLACEHOLDER.sub(
        lambda m: f'"Resource"{m[1]}:{m[2]}{json.dumps(LAMBDA_ARN)}', strip_json5(path.read_text())
    )
    return text.replace(_CONTEXT_PLACEHOLDER, "$$.Execution.Id")


def all_templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.json5")) if TEMPLATES.exists() else []
