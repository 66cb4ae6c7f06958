"""``{{ value|words }}``: a famlink value in the reader's language (see ``famlink.web.words``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.functional import Promise

from famlink.web import words as vocabulary

register = template.Library()


@register.filter(name="words")
def words(value: object, kind: str = "") -> str | Promise:
    return vocabulary.words(value, kind)


@register.simple_tag
def run_line(visit: Any) -> str:
    """``{% run_line visit %}``: a linkage run's access-log line, in the reader's language."""
    return vocabulary.run_line(visit.run, visit.about)
