"""``{{ value|words }}``: a famlink value in the reader's language (see ``famlink.web.words``)."""

from __future__ import annotations

from django import template
from django.utils.functional import Promise

from famlink.web import words as vocabulary

register = template.Library()


@register.filter(name="words")
def words(value: object, kind: str = "") -> str | Promise:
    return vocabulary.words(value, kind)
