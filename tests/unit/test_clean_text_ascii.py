"""``clean_text``'s ASCII shortcut keeps exactly what the unsafe-character rule keeps."""

from __future__ import annotations

from polaris_tui.text_clean import _UNSAFE_BUT_NEWLINE, Cleaned, clean_text

SAMPLES = [
    *(chr(code) for code in range(128)),
    *(f"Energy{chr(code)}Register" for code in range(128)),
    "",
    "Sample.Periodic",
    "line one\nline two",
    "caf\u00e9",
    "\u202eevil",
    "tab\there",
]


def test_every_ascii_character_is_kept_or_cleaned_as_by_the_rule() -> None:
    for text in SAMPLES:
        made = clean_text(text)
        if _UNSAFE_BUT_NEWLINE.search(text):
            assert isinstance(made, Cleaned) and made.raw == text, repr(text)
        else:
            assert made is text, repr(text)


def test_cleaned_text_stays_itself() -> None:
    cleaned = Cleaned("bell\x07")
    assert clean_text(cleaned) is cleaned
    printable = Cleaned("plain")
    assert clean_text(printable) is printable
