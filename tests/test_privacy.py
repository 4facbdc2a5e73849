"""Free-text masking by pattern families (issue #14, finding 4): generated phones and ID numbers in
the forms people type — full-width digits, +86 / 86 / 0086, spaces and dashes — never come out whole."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.privacy import clean_reason, mask_text

FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
SEPS = ["", " ", "-", "\u3000", "－", "\u00a0", "."]
TEXT = st.text(alphabet="居民反映电话身份证号码联系请回复，。：的楼下噪音 abc", max_size=8)


def _digits(s: str) -> str:
    return re.sub(r"[^0-9Xx]", "", s.translate(str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")))


def _render(digits: str, data, groups: list[int]) -> str:
    out, i = [], 0
    for n in groups:
        chunk = digits[i:i + n]
        if data.draw(st.booleans()):
            chunk = chunk.translate(FULL)
        out.append(chunk)
        i += n
    return data.draw(st.sampled_from(SEPS)).join(out) if len(out) > 1 else out[0]


phones = st.builds(lambda a, b, rest: f"1{a}{b}{rest}", st.sampled_from("3456789"), st.integers(0, 9),
                   st.text(alphabet="0123456789", min_size=8, max_size=8))


@settings(max_examples=300, deadline=None)
@given(phone=phones, prefix=st.sampled_from(["", "+86", "+86 ", "86", "86-", "0086 ", "（+86）", "(+86) ", "＋８６"]),
       before=TEXT, after=TEXT, data=st.data())
def test_prv001_phones_in_every_form_are_masked(phone, prefix, before, after, data):
    groups = data.draw(st.sampled_from([[11], [3, 4, 4], [3, 8], [3, 3, 5], [1, 2, 4, 4]]))
    text = before + prefix + _render(phone, data, groups) + after
    out = mask_text(text)
    assert phone not in _digits(out), (text, out)
    # Exactly the middle four digits are hidden: what is left is the head, the tail and the prefix.
    assert out.count("*") == 4 and _digits(out).endswith(phone[:3] + phone[7:] + _digits(after)), (text, out)


ids18 = st.builds(lambda area, birth, seq, check: f"{area}{birth}{seq}{check}",
                  st.text(alphabet="0123456789", min_size=6, max_size=6),
                  st.dates().map(lambda d: d.strftime("%Y%m%d")).filter(lambda s: len(s) == 8),
                  st.text(alphabet="0123456789", min_size=3, max_size=3), st.sampled_from("0123456789X"))
ids15 = st.builds(lambda area, birth, seq: f"{area}{birth}{seq}",
                  st.text(alphabet="0123456789", min_size=6, max_size=6),
                  st.dates().map(lambda d: d.strftime("%y%m%d")),
                  st.text(alphabet="0123456789", min_size=3, max_size=3))


@settings(max_examples=300, deadline=None)
@given(number=st.one_of(ids18, ids15), before=TEXT, after=TEXT, data=st.data())
def test_prv002_id_numbers_in_every_form_are_masked(number, before, after, data):
    groups = data.draw(st.sampled_from([[len(number)], [6, 8, len(number) - 14] if len(number) == 18
                                        else [6, 6, 3], [6, len(number) - 6]]))
    text = before + _render(number, data, groups) + after
    out = mask_text(text)
    assert number not in _digits(out), (text, out)
    kept = number[:6] + (number[-4:] if len(number) == 18 else number[-3:])  # the birth date is hidden
    assert out.count("*") == len(number) - len(kept) and _digits(out) == _digits(before) + kept + _digits(after)


def test_prv003_the_issue_examples():
    for text, shown in [("１３８１２３４５６７８", "１３８****５６７８"), ("+86 139 1234 5672", "+86 139 **** 5672"),
                        ("139-1234-5673", "139-****-5673"), ("86 13912345674", "86 139****5674"),
                        ("身份证450802900101123", "身份证450802******123"),
                        ("450802 19900101 1234", "450802 ******** 1234"),
                        ("13812345678,13912345678", "138****5678,139****5678")]:
        assert mask_text(text) == shown, text


def test_prv004_ordinary_numbers_stay():
    for text in ("2026-11-20 15:30", "工单 202611200001 已办", "3 栋 2 单元 501", "138123456789"):
        assert mask_text(text) == text


def test_prv005_reasons_without_invisible_characters():
    assert clean_reason("\u200b\u200b\x00\u200b\u200b") == ""
    assert clean_reason("  联系\u200d处置\x00事件  ") == "联系处置事件"
    assert clean_reason(None) == ""
