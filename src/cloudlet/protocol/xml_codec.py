"""Shape-driven XML: writing responses (query, rest-xml) and reading rest-xml bodies."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from defusedxml.ElementTree import fromstring as _safe_fromstring

from cloudlet.protocol.common import bad_input, parse_scalar_text, scalar_text
from cloudlet.protocol.model import Shape

_NS_RE = re.compile(r"^\{[^}]*\}")
_XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>'
MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"


# Characters XML 1.0 cannot carry at all, not even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape_text(value: str) -> str:
    """Escape character data (``\r`` as a reference, so it survives XML parsing).

    What XML cannot carry (control characters, lone surrogates) becomes U+FFFD.
    """
    value = _NOT_XML.sub("\ufffd", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")


def quoteattr(value: str) -> str:
    return '"' + escape_text(value).replace('"', "&quot;") + '"'


def _ns_attr(shape: Shape) -> str:
    ns = shape.trait("xmlNamespace")
    if not ns:
        return ""
    prefix = ns.get("prefix")
    return f' xmlns:{prefix}="{ns["uri"]}"' if prefix else f' xmlns="{ns["uri"]}"'


def element(
    value: Any,
    shape: Shape,
    name: str,
    out: list[str],
    ts_default: str = "iso8601",
    attrs: str = "",
    ordered: bool = False,
) -> None:
    """Append ``<name attrs>value</name>`` for ``value`` of ``shape`` to ``out``; ``ordered``
    writes structure members in the model's order (as the query protocol's answers have them)
    rather than the value's."""
    t = shape.type
    attrs += _ns_attr(shape)
    if t == "structure":
        children: list[str] = []
        pairs = ((k, value[k]) for k in shape.members if k in value) if ordered else value.items()
        for key, item in pairs:
            member = shape.members.get(key)
            if member is None or item is None or member.location is not None:
                continue
            mname = member.trait("locationName") or key
            if member.trait("xmlAttribute"):
                attrs += f" {mname}={quoteattr(scalar_text(item, member, ts_default))}"
                if member.trait("xmlNamespace"):
                    attrs += _ns_attr(member)
                continue
            element(item, member, mname, children, ts_default, ordered=ordered)
        out.append(f"<{name}{attrs}>")
        out.extend(children)
        out.append(f"</{name}>")
    elif t == "list":
        member = shape.member
        if shape.flattened:
            item_name = member.trait("locationName") or name
            for item in value:
                element(item, member, item_name, out, ts_default, ordered=ordered)
        else:
            item_name = member.trait("locationName") or "member"
            out.append(f"<{name}{attrs}>")
            for item in value:
                element(item, member, item_name, out, ts_default, ordered=ordered)
            out.append(f"</{name}>")
    elif t == "map":
        kname = shape.key.trait("locationName") or "key"
        vname = shape.value.trait("locationName") or "value"
        if not shape.flattened:
            out.append(f"<{name}>")
        for k, v in value.items():
            out.append(f"<{name}>" if shape.flattened else "<entry>")
            element(k, shape.key, kname, out, ts_default)
            element(v, shape.value, vname, out, ts_default, ordered=ordered)
            out.append(f"</{name}>" if shape.flattened else "</entry>")
        if not shape.flattened:
            out.append(f"</{name}>")
    else:
        out.append(f"<{name}{attrs}>{escape_text(scalar_text(value, shape, ts_default))}</{name}>")


def document(
    value: Any,
    shape: Shape,
    name: str,
    namespace: str | None = None,
    ts_default: str = "iso8601",
    newline: bool = False,
) -> bytes:
    """A whole XML body, its root in ``namespace`` unless the shape names its own; ``newline``
    after the XML declaration (as S3 writes it)."""
    out: list[str] = []
    attrs = f' xmlns="{namespace}"' if namespace and not _ns_attr(shape) else ""
    element(value, shape, name, out, ts_default, attrs)
    return _XML_DECL + (b"\n" if newline else b"") + "".join(out).encode()


# ---- reading ----------------------------------------------------------------------------


def local(tag: str) -> str:
    return _NS_RE.sub("", tag)


def parse_xml(body: bytes) -> ElementTree.Element:
    """Parse an XML body from a request, in any encoding it declares.

    DTDs (and so entities beyond the predefined ones, and external references) are refused
    by defusedxml's hardened expat parser, as malformed XML; so is an encoding expat cannot
    read.
    """
    try:
        return _safe_fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, ValueError, LookupError) as exc:  # defusedxml's errors are ValueErrors
        raise bad_input(MALFORMED_XML, "MalformedXML") from exc


def read(node: ElementTree.Element, shape: Shape) -> Any:
    """Read an element's value according to ``shape``."""
    t = shape.type
    if t == "structure":
        out: dict[str, Any] = {}
        by_name: dict[str, list[ElementTree.Element]] = {}
        for child in node:
            by_name.setdefault(local(child.tag), []).append(child)
        for key, member in shape.members.items():
            if member.location is not None:
                continue
            mname = member.trait("locationName") or key
            if member.trait("xmlAttribute"):
                for attr, val in node.attrib.items():
                    if local(attr) == mname.split(":")[-1]:
                        out[key] = _scalar(val, member)
                continue
            if member.type == "list" and member.flattened:
                iname = member.member.trait("locationName") or mname
                nodes = by_name.get(iname) or by_name.get(mname)
                if nodes:
                    out[key] = [read(n, member.member) for n in nodes]
                continue
            if member.type == "map" and member.flattened:
                nodes = by_name.get(mname)
                if nodes:
                    out[key] = _read_map_entries(nodes, member)
                continue
            found = by_name.get(mname)
            if found:
                out[key] = read(found[0], member)
        return out
    if t == "list":
        iname = shape.member.trait("locationName") or "member"
        return [read(child, shape.member) for child in node if local(child.tag) == iname]
    if t == "map":
        return _read_map_entries([c for c in node if local(c.tag) == "entry"], shape)
    return _scalar(node.text or "", shape)


def _read_map_entries(entries: list[ElementTree.Element], shape: Shape) -> dict[str, Any]:
    kname = shape.key.trait("locationName") or "key"
    vname = shape.value.trait("locationName") or "value"
    out: dict[str, Any] = {}
    for entry in entries:
        parts = {local(c.tag): c for c in entry}
        if kname in parts and vname in parts:
            out[parts[kname].text or ""] = read(parts[vname], shape.value)
    return out


def _scalar(text: str, shape: Shape) -> Any:
    try:
        return parse_scalar_text(text, shape)
    except (ValueError, OverflowError) as exc:
        raise bad_input(MALFORMED_XML, "MalformedXML") from exc
