"""Poll answers decoded only where they changed (issue 13): what the cache
hands back is always what decoding the whole answer gives."""

from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from polaris_tui.models import OcppTag
from polaris_tui.services.wire_cache import ListCache, split_items

TAGS = TypeAdapter(list[OcppTag])


def body(*tags: dict[str, object], separators: tuple[str, str] = (", ", ": ")) -> bytes:
    return json.dumps(list(tags), separators=separators).encode()


def tag(pk: int, id_tag: str, note: str | None = None) -> dict[str, object]:
    return {"ocppTagPk": pk, "idTag": id_tag, "note": note}


def same(item: OcppTag) -> OcppTag:
    return item


@pytest.mark.parametrize("separators", [(", ", ": "), (",", ":")])
def test_unchanged_items_come_back_as_the_same_objects(separators) -> None:
    cache: ListCache[OcppTag, OcppTag] = ListCache(TAGS)
    first = cache.parse(body(tag(1, "A"), tag(2, "B"), separators=separators), same)
    assert cache.decoded == 2
    second = cache.parse(body(tag(1, "A"), tag(2, "B2"), tag(3, "C"), separators=separators), same)
    assert cache.decoded == 2, "only the changed and the new item"
    assert second[0] is first[0]
    assert [t.id_tag for t in second] == ["A", "B2", "C"]
    assert second == TAGS.validate_json(body(tag(1, "A"), tag(2, "B2"), tag(3, "C")))


def test_text_that_looks_like_an_item_start_inside_a_string_is_not_a_cut() -> None:
    tricky = tag(1, "A", note='}, {"ocppTagPk": 9, "idTag": "FAKE"}')
    cache: ListCache[OcppTag, OcppTag] = ListCache(TAGS)
    parsed = cache.parse(body(tricky, tag(2, "B")), same)
    assert [t.id_tag for t in parsed] == ["A", "B"]
    assert parsed[0].note == '}, {"ocppTagPk": 9, "idTag": "FAKE"}'


def test_a_nested_object_with_the_same_first_key_falls_back_to_a_whole_decode() -> None:
    nested = b'[{"a": 1, "inner": [0, {"a": 2}]}, {"a": 3, "inner": null}]'
    pieces = split_items(nested)
    assert pieces is not None and len(pieces) == 3, "cut inside the nested list"
    adapter = TypeAdapter(list[dict[str, object]])
    cache: ListCache[dict[str, object], dict[str, object]] = ListCache(adapter)
    assert cache.parse(nested, lambda item: item) == json.loads(nested)
    assert cache.decoded == -1, "decoded whole"


@pytest.mark.parametrize("raw", [b"[]", b"{}", b" [ ] ", b"[1, 2]"])
def test_bodies_that_are_not_a_list_of_objects_are_decoded_whole(raw) -> None:
    adapter = TypeAdapter(list[object])
    cache: ListCache[object, object] = ListCache(adapter)
    if raw.strip().startswith(b"{"):
        with pytest.raises(ValidationError):
            cache.parse(raw, lambda item: item)
    else:
        assert cache.parse(raw, lambda item: item) == json.loads(raw)


def test_an_invalid_changed_item_raises_and_a_broken_body_is_not_json() -> None:
    cache: ListCache[OcppTag, OcppTag] = ListCache(TAGS)
    cache.parse(body(tag(1, "A")), same)
    with pytest.raises(ValidationError):
        cache.parse(body(tag(1, "A"), {"ocppTagPk": "x", "idTag": "B"}), same)
    with pytest.raises(ValueError):
        cache.parse(b'[{"ocppTagPk": 1, "idTag": "A"}, {"ocppTagPk": ', same)


def test_a_new_epoch_converts_every_item_again() -> None:
    cache: ListCache[OcppTag, OcppTag] = ListCache(TAGS)
    answer = body(tag(1, "A"))
    first = cache.parse(answer, same, epoch=1)
    assert cache.parse(answer, same, epoch=1)[0] is first[0]
    assert cache.parse(answer, same, epoch=2)[0] is not first[0]
