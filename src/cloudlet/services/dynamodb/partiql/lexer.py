"""Tokens of a PartiQL statement."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.services.dynamodb.partiql.errors import malformed

# SQL-92 reserved words plus PartiQL's own: written bare, none of them names an attribute.
_RESERVED = """
absolute action add all allocate alter and any are as asc assertion at authorization avg bag
begin between bit bit_length blob bool boolean both by can_cast can_lossless_cast cascade
cascaded case cast catalog char char_length character character_length check clob close coalesce
collate collation column commit conflict connect connection constraint constraints continue
convert corresponding count create cross current current_date current_time current_timestamp
current_user cursor date date_add date_diff day deallocate dec decimal declare default
deferrable deferred delete desc describe descriptor diagnostics disconnect distinct do domain
double drop else end escape except exception exec execute exists external extract false fetch
first float for foreign found from full get global go goto grant group having hour identity
immediate in index indicator initially inner input insensitive insert int integer intersect
interval into is isolation join key language last leading left let level like limit list local
lower match max min minute missing modified module month names national natural nchar new next
no not nothing null nullif numeric octet_length of offset old on only open option or order outer
output overlaps pad partial pivot position precision prepare preserve primary prior privileges
procedure public read real references relative remove restrict returning revoke right rollback
rows schema scroll second section select session session_user set sexp size smallint some space
sql sqlcode sqlerror sqlstate string struct substring sum symbol system_user table temporary
then time timestamp timezone_hour timezone_minute to trailing transaction translate translation
trim true tuple union unique unknown unpivot update upper usage user using value values varchar
view when whenever where with work write year zone
"""
KEYWORDS = frozenset(_RESERVED.split())

# Two-character punctuation first, so ``<=`` is not read as ``<`` then ``=``.
_PUNCT2 = ("<<", ">>", "<=", ">=", "<>", "!=")
_PUNCT1 = "()[]{},.:;*?+-=<>/%"


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is word, quoted, string, number, param, punct or eof."""

    kind: str
    text: str
    line: int
    column: int
    length: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def is_keyword(self) -> bool:
        return self.kind == "word" and self.text.lower() in KEYWORDS

    def is_word(self, *names: str) -> bool:
        return self.kind == "word" and self.text.upper() in names

    def is_punct(self, *symbols: str) -> bool:
        return self.kind == "punct" and self.text in symbols


def _quoted(text: str, start: int, quote: str) -> tuple[str, int]:
    """The content of a quoted run starting at ``start`` (doubled quotes escape) and its end."""
    parts = []
    i = start + 1
    while True:
        end = text.find(quote, i)
        if end < 0:
            raise malformed()
        parts.append(text[i:end])
        if text.startswith(quote * 2, end):
            parts.append(quote)
            i = end + 2
            continue
        return "".join(parts), end + 1


def _number_end(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isdigit():
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            while j < n and text[j].isdigit():
                j += 1
            return j
    return i


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; a character or comment PartiQL cannot read is malformed."""
    tokens: list[Token] = []
    line, line_start = 1, 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise malformed()
            for j in range(i, end):
                if text[j] == "\n":
                    line, line_start = line + 1, j + 1
            i = end + 2
            continue
        start = i
        if ch == "'":
            value, i = _quoted(text, i, "'")
            kind = "string"
        elif ch == '"':
            value, i = _quoted(text, i, '"')
            kind = "quoted"
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            i = _number_end(text, i)
            value, kind = text[start:i], "number"
        elif ch.isalpha() or ch in "_$":
            while i < n and (text[i].isalnum() or text[i] in "_$"):
                i += 1
            value, kind = text[start:i], "word"
        elif text[i : i + 2] in _PUNCT2:
            i += 2
            value, kind = text[start:i], "punct"
        elif ch in _PUNCT1:
            i += 1
            value, kind = ch, "param" if ch == "?" else "punct"
        else:
            raise malformed()
        tokens.append(Token(kind, value, line, start - line_start + 1, i - start))
    tokens.append(Token("eof", "", line, n - line_start + 1, 0))
    return tokens
