"""Form decoding matches urllib's for every escape, valid or not."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulators.billing.errors import InvalidRequest
from simulators.billing.forms import _unquote, decode_form

PIECES = st.sampled_from(list("%0123456789abcdefABCDEFxyz+=&[] é€\\"))


@given(st.text(alphabet=PIECES, max_size=40))
@settings(max_examples=400, deadline=None)
def test_unquote_is_urllibs(text: str) -> None:
    # urllib replaces escapes that are not UTF-8 with U+FFFD; the fake refuses them.
    strict = unquote(text, errors="strict") if _utf8(text) else None
    if strict is None:
        with pytest.raises(UnicodeDecodeError):
            _unquote(text)
    else:
        assert _unquote(text) == strict == unquote(text)


def _utf8(text: str) -> bool:
    try:
        unquote(text, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


@given(st.text(alphabet=st.sampled_from(list("%0123456789abcdefxyz+= é")), max_size=40))
@settings(max_examples=300, deadline=None)
def test_flat_forms_decode_as_parse_qsl(body: str) -> None:
    # Without brackets (written or escaped) a form is flat: the last value of a
    # repeated key wins.
    assume("[" not in unquote(body) and "]" not in unquote(body))
    assume(_utf8(body))
    assert decode_form(body) == dict(parse_qsl(body, keep_blank_values=True))


@pytest.mark.parametrize(("body", "param"), [
    (b"name=%ff%fe", "name"), (b"name=\xff\xfe", "name"),
    (b"email=a&description=%c3", "description"),
    (b"metadata[%ff]=1", "metadata[\ufffd]"),
])
def test_text_that_is_not_utf8_is_refused_naming_the_key(body: bytes, param: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        decode_form(body)
    assert refused.value.param == param and "UTF-8" in str(refused.value)


def test_a_key_nested_too_deep_is_refused() -> None:
    assert decode_form("metadata" + "[b]" * 19 + "=1")["metadata"]["b"]
    with pytest.raises(InvalidRequest) as refused:
        decode_form("metadata" + "[b]" * 600 + "=1")
    assert refused.value.param == "metadata"
