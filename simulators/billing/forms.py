"""Stripe's request encoding: form fields with bracketed keys.

``metadata[k]=v`` is a hash, ``items[0][price]=p`` an indexed list (what the
SDK sends), ``expand[]=a`` an appended list (what curl users send). Both list
forms are accepted, as Stripe does. Source: Stripe API reference, "Expanding
responses" and the stripe-python encoder (``_api_encode``).
"""

from __future__ import annotations

from codecs import unicode_escape_decode as _escape_decode  # no codec lookup per call
from typing import Any
from urllib.parse import unquote

from simulators.billing.errors import InvalidRequest
from simulators.engine.params import is_index

# How deep a form key may nest. Stripe's deepest parameters nest five levels
# (``subscription_data[items][0][price_data][recurring][interval]``); a key nested 500
# levels answered 500 (issue 18), as the recursion that turns indexed hashes into lists
# ran out.
MAX_DEPTH = 20


def _split(key: str) -> list[str]:
    """``a[b][0]`` -> ``["a", "b", "0"]``; raises on unbalanced brackets or a key nested
    deeper than ``MAX_DEPTH``."""
    head, sep, rest = key.partition("[")
    parts = [head]
    if not sep:
        return parts
    if key.count("[") > MAX_DEPTH:
        # Stripe's wording for this is unverified.
        raise InvalidRequest(f"Invalid parameter name: {key[:200]} nests more than "
                             f"{MAX_DEPTH} levels", param=head, code="parameter_unknown")
    rest = "[" + rest
    while rest:
        if not rest.startswith("[") or "]" not in rest:
            raise InvalidRequest(f"Invalid parameter name: {key}", param=key,
                                 code="parameter_unknown")
        inner, _, rest = rest[1:].partition("]")
        parts.append(inner)
    return parts


def _assign(target: dict[str, Any], parts: list[str], value: str, full: str) -> None:
    node: Any = target
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, dict):
            if last:
                node[part] = value
                return
            nxt = parts[i + 1]
            child = node.get(part)
            if child is None:
                child = [] if nxt == "" else {}
                node[part] = child
            elif isinstance(child, str):
                raise InvalidRequest(f"Invalid hash or array: {full}", param=parts[0],
                                     code="parameter_invalid_string")
            node = child
        elif isinstance(node, list):
            if part != "":
                raise InvalidRequest(f"Invalid array: {full}", param=parts[0])
            if last:
                node.append(value)
                return
            child = {}
            node.append(child)
            node = child
        else:  # pragma: no cover - guarded above
            raise InvalidRequest(f"Invalid parameter: {full}", param=parts[0])


def _indexed_to_lists(value: Any) -> Any:
    """Hashes whose keys are all decimal indexes become lists, in index order."""
    if isinstance(value, list):
        return [_indexed_to_lists(v) for v in value]
    if not isinstance(value, dict):
        return value
    converted = {k: _indexed_to_lists(v) for k, v in value.items()}
    if converted and all(is_index(k) for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


# "%xx" in any letter case -> the byte it names, as a latin-1 character.
_ESCAPES = {f"{a}{b}": chr(int(a + b, 16))
            for a in "0123456789abcdefABCDEF" for b in "0123456789abcdefABCDEF"}


def _unquote(text: str) -> str:
    """``urllib.parse.unquote`` (UTF-8; UnicodeDecodeError if the escapes are not UTF-8).
    For ASCII text, every form
    the SDKs send, "%xx" becomes "\\xNN" for the unicode_escape codec: the escapes are
    decoded in one C call (about 2.5x fewer instructions than a loop over them)."""
    if not text.isascii():
        return unquote(text, errors="strict")
    if "\\" in text:  # a backslash of its own would read as an escape
        decoded = _unquote_pieces(text)
    else:
        try:
            decoded = _escape_decode(text.replace("%", "\\x").encode("ascii"))[0]
        except UnicodeDecodeError:  # a "%" that does not start an escape
            decoded = _unquote_pieces(text)
    if decoded.isascii():
        return decoded
    # Escaped bytes >= 0x80 are UTF-8 sequences: latin-1 gives back exactly those bytes.
    return decoded.encode("latin-1").decode("utf-8")


def _unquote_pieces(text: str) -> str:
    """ASCII text's escapes as latin-1 characters, looked up whole; a "%" that does not
    start one is kept as written, as unquote does."""
    pieces = text.split("%")
    out = [pieces[0]]
    for piece in pieces[1:]:
        char = _ESCAPES.get(piece[:2])
        if char is None:
            out.append("%")
            out.append(piece)
        else:
            out.append(char)
            out.append(piece[2:])
    return "".join(out)


def _not_utf8(key: str) -> InvalidRequest:
    # Stripe refuses text that is not UTF-8; its exact wording is unverified.
    return InvalidRequest(f"Invalid string: the value of {key} is not valid UTF-8.",
                          param=key, code="parameter_invalid_string")


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        for field in body.split(b"&"):
            try:
                field.decode("utf-8")
            except UnicodeDecodeError:
                raise _not_utf8(field.partition(b"=")[0].decode("utf-8", "replace")) from None
        raise  # pragma: no cover - one of the fields failed above


def decode_form(body: bytes | str) -> dict[str, Any]:
    """Decode a form body or query string (``parse_qsl(keep_blank_values=True)`` semantics).
    Text that is not UTF-8, raw or escaped, is refused with the key named."""
    text = _decode(body) if isinstance(body, bytes) else body
    out: dict[str, Any] = {}
    nested = False
    for field in text.split("&"):
        if not field:
            continue
        key, _, value = field.partition("=")
        if "+" in key:
            key = key.replace("+", " ")
        if "%" in key:
            try:
                key = _unquote(key)
            except UnicodeDecodeError:
                raise _not_utf8(unquote(key)) from None
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            try:
                value = _unquote(value)
            except UnicodeDecodeError:
                raise _not_utf8(key) from None
        if "[" in key:
            nested = True
            _assign(out, _split(key), value, key)
        else:
            out[key] = value
    if not nested:
        return out
    return {k: _indexed_to_lists(v) for k, v in out.items()}
