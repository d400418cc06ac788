"""Form decoding matches urllib's for every escape, valid or not."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulators.billing.forms import _unquote, decode_form

PIECES = st.sampled_from(list("%0123456789abcdefABCDEFxyz+=&[] é€\\"))


@given(st.text(alphabet=PIECES, max_size=40))
@settings(max_examples=400, deadline=None)
def test_unquote_is_urllibs(text: str) -> None:
    assert _unquote(text) == unquote(text)


@given(st.text(alphabet=st.sampled_from(list("%0123456789abcdefxyz+= é")), max_size=40))
@settings(max_examples=300, deadline=None)
def test_flat_forms_decode_as_parse_qsl(body: str) -> None:
    # Without brackets (written or escaped) a form is flat: the last value of a
    # repeated key wins.
    assume("[" not in unquote(body) and "]" not in unquote(body))
    assert decode_form(body) == dict(parse_qsl(body, keep_blank_values=True))
