"""pipeline.Item repeats five contact fields of store.models.Contact (docs/architecture.md says why): they stay in step."""

from __future__ import annotations

import typing
from dataclasses import fields

from cadence.pipeline.reading import Item
from cadence.store.models import NewProspect
from cadence.store.models import Contact, Prospect

SHARED = ("company", "title", "phone", "email", "timezone")


def test_the_contact_fields_item_repeats_have_the_same_names_and_types():
    item = {f.name: f.type for f in fields(Item)}
    hints = typing.get_type_hints(Contact)
    assert [name for name in item if name in Contact.model_fields] == ["company", "title", "phone", "email", "timezone"]
    assert {name: item[name] for name in SHARED} == {name: "str" for name in SHARED}
    assert {name: hints[name] for name in SHARED} == {name: str for name in SHARED}


def test_a_prospect_and_a_new_one_take_them_from_contact():
    for model in (Prospect, NewProspect):
        assert issubclass(model, Contact)
        assert set(SHARED) <= set(model.model_fields)
