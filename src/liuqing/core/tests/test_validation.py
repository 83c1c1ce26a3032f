"""The services' shared field checks (core.validation)."""

from __future__ import annotations

from liuqing.core.validation import Errors, add_error, clean_text


def test_clean_text_strips_and_reports_each_problem_once() -> None:
    errors: Errors = {}
    assert clean_text(errors, "title", "  路灯不亮  ", max_length=10) == "路灯不亮"
    assert errors == {}
    clean_text(errors, "title", " ", max_length=10, required=True)
    clean_text(errors, "body", "x" * 11, max_length=10)
    clean_text(errors, "note", "bell\x07", max_length=10)
    assert errors == {
        "title": ["This field is required."],
        "body": ["At most 10 characters (it has 11)."],
        "note": ["The text cannot contain control characters."],
    }
    assert clean_text(errors, "none", None, max_length=10) == ""
    assert "none" not in errors
    add_error(errors, "title", "This field is required.")
    assert errors["title"] == ["This field is required."]  # once
    assert clean_text({}, "tabs", "a\tb\r\nc", max_length=10) == "a\tb\r\nc"
