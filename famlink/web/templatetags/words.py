"""``{{ value|words }}``: a famlink value in the reader's language (see ``famlink.web.words``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.functional import Promise

from famlink.adapters.storage.governance.models import StaffActor
from famlink.core.roles import Role, StaffJob
from famlink.web import words as vocabulary

register = template.Library()


@register.filter(name="words")
def words(value: object, kind: str = "") -> str | Promise:
    return vocabulary.words(value, kind)


@register.simple_tag
def run_line(visit: Any) -> str:
    """``{% run_line visit %}``: a linkage run's access-log line, in the reader's language."""
    return vocabulary.run_line(visit.run, visit.about)


@register.simple_tag(takes_context=True)
def staff_job(context: Any) -> str | Promise:
    """``{% staff_job %}``: what the signed-in member of staff does (their job, else their role), for the header."""
    request = context.get("request")
    staff = StaffActor.objects.filter(user=request.user).only("job", "role").first() if request is not None else None
    if staff is None:
        return ""
    return vocabulary.words(StaffJob(staff.job)) if staff.job else vocabulary.words(Role(staff.role))
