"""The portal's consent and opt-out pages: see each choice, change it, download the receipts.

Views parse the form, call one function in
``famlink.services.rights.choices`` (which reads through the policy
door and changes through the governance services) and render. A refused
change comes back as ``InvalidInput`` naming the form field, shown in the
GOV.UK error summary; nothing is written.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.views.decorators.http import require_GET, require_http_methods

from famlink.adapters.storage.governance.models import OptOutKind
from famlink.core.audit import AuditEvent
from famlink.core.consent import ConsentAction, ConsentLevel, ConsentState
from famlink.core.errors import InvalidInput
from famlink.services.rights import choices
from famlink.web import words
from famlink.web.access import family_page, signed_in_parent
from famlink.web.marks import personal_data

#: What each purpose means, for a parent (the labels come from the taxonomy).
PURPOSE_WORDS = {
    "service.direct_delivery": "Staff at a service you use, like your doctor or your school, look at your records "
                               "to help you.",
    "service.early_help_identification": "A family support team looks at your records to see if your family might "
                                         "like some extra help. You never have to take the help.",
    "safeguarding.child_protection": "Staff look at your records if they are worried a child might be harmed. "
                                     "Even if you say no, they can still look in an emergency. A senior person "
                                     "must agree and write down why. You will usually see it in 'Who has looked "
                                     "at your records'.",
    "research.pseudonymised_statistics": "Researchers use records to learn what helps families. Names and "
                                         "addresses are taken off first.",
    "service.record_linkage": "We match records from different places that are about the same person. For "
                              "example, a record from your doctor and a record from your school.",
}
LEVEL_WORDS = {
    ConsentLevel.WITHIN_SERVICE: ("Only the service that holds each record",
                                  "For example, the school can use school records, but not health records."),
    ConsentLevel.ACROSS_SERVICES: ("Services can share records with each other",
                                   "For example, a support worker can see school and health records together."),
    ConsentLevel.NO_LINKING: ("Nobody", "Records are not used for this."),
}
ACTION_WORDS = {
    ConsentAction.GIVE: ("Yes, I agree", "Then choose who can use the records, below."),
    ConsentAction.RENEW: ("Keep my answer for another year", "Nothing else changes."),
    ConsentAction.WITHDRAW: ("Stop: I no longer agree", "Nobody can use the records for this from now on."),
    ConsentAction.REFUSE: ("No, I do not agree", "Nobody can use the records for this."),
}
CHANGE_LEVEL_WORDS = ("Change who can use the records", "Your answer stays yes. Choose who, below.")
OPT_OUT_WORDS = {
    OptOutKind.LINKAGE: ("Linking records",
                         "We will not match records from different places. Each service only sees its own records. "
                         "Some help may be harder to offer, because nobody sees the whole picture."),
    OptOutKind.SHARING: ("Sharing records between services",
                         "Services will not share records with each other. A service can still use its own "
                         "records to help you."),
}
PROTECTION_NOTE = ("If a child might be harmed, staff can still look at records. A senior person must agree and "
                   "write down why.")


def state_words(choice: choices.PurposeChoice) -> str:
    """The consent as it stands, in one or two short sentences."""
    until = formats.date_format(choice.expires_on, "j F Y") if choice.expires_on else ""
    who = LEVEL_WORDS[choice.level][0] if choice.level else ""
    if choice.state is None:
        return "Not asked yet. Nobody can use the records for this until you say yes."
    if choice.state in (ConsentState.GIVEN, ConsentState.RENEWED):
        return f"Yes. {who}. Until {until}."
    if choice.state is ConsentState.EXPIRED:
        return f"Your yes ran out on {until}. Nobody can use the records for this until you say yes again."
    if choice.state is ConsentState.WITHDRAWN:
        return "No. You stopped it. Nobody can use the records for this."
    return "No. Nobody can use the records for this."


def _person_context(person: choices.PersonChoices) -> dict[str, object]:
    rows = [{"choice": c, "label": words.PURPOSE[c.purpose], "words": PURPOSE_WORDS[c.purpose.value],
             "state": state_words(c)} for c in person.purposes]
    opt_outs = [{"kind": kind.value, "label": OPT_OUT_WORDS[kind][0], "words": OPT_OUT_WORDS[kind][1],
                 "active": person.opt_outs.get(kind.value, False)} for kind in OptOutKind]
    return {"person": person, "rows": rows, "opt_outs": opt_outs}


@require_GET
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def consent(request: HttpRequest) -> HttpResponse:
    actor, parent = signed_in_parent(request)
    family = choices.family_choices(actor, parent)
    return render(request, "web/portal/consent.html", {
        "family": family, "people": [_person_context(p) for p in family.people],
        "levels": [LEVEL_WORDS[level] for level in choices.GIVE_LEVELS], "protection_note": PROTECTION_NOTE,
    })


def _actions(choice: choices.PurposeChoice) -> list[dict[str, str]]:
    out = []
    for action in choice.actions:
        label, hint = ACTION_WORDS[action]
        if action is ConsentAction.GIVE and choice.state in (ConsentState.GIVEN, ConsentState.RENEWED):
            label, hint = CHANGE_LEVEL_WORDS
        out.append({"value": action.value, "label": label, "hint": hint})
    return out


@require_http_methods(["GET", "POST"])
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def change(request: HttpRequest, public_id: str, purpose: str) -> HttpResponse:
    actor, parent = signed_in_parent(request)
    errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        try:
            person, event = choices.change(actor, parent, public_id, purpose, request.POST.get("action", ""),
                                           request.POST.get("level", ""))
        except InvalidInput as error:
            errors, status = [(error.where or "action", error.message)], 400
        else:
            messages.success(request, _done(person, event.consent.purpose, event.state, event.expires_at))
            return redirect(f"/portal/consent/#person-{person.public_id}")
    _, person, _ = choices.member(actor, parent, public_id)
    wanted = choices.consent_purpose(purpose)
    choice = person.purpose(wanted)
    chosen_level = request.POST.get("level") or (choice.level.value if choice.level and
                                                  choice.level is not ConsentLevel.NO_LINKING else "")
    return render(request, "web/portal/consent_change.html", {
        "person": person, "choice": choice, "label": words.PURPOSE[wanted], "words": PURPOSE_WORDS[wanted.value],
        "state": state_words(choice), "actions": _actions(choice), "errors": errors,
        "chosen_action": request.POST.get("action", ""), "chosen_level": chosen_level,
        "levels": [{"value": lv.value, "label": LEVEL_WORDS[lv][0], "hint": LEVEL_WORDS[lv][1]}
                   for lv in choices.GIVE_LEVELS],
        "protection": wanted.value == "safeguarding.child_protection",
        "has_give": ConsentAction.GIVE in choice.actions,
    }, status=status)


def _whose(person: choices.PersonChoices) -> str:
    return "you" if person.is_parent else person.name


def _done(person: choices.PersonChoices, purpose: str, state: str, expires_at: datetime | None) -> str:
    label = words.PURPOSE[choices.consent_purpose(purpose)]
    whose = _whose(person)
    if state in (ConsentState.GIVEN, ConsentState.RENEWED):
        until = formats.date_format(timezone.localtime(expires_at), "j F Y") if expires_at else ""
        said = f"You said yes to '{label}' for {whose}, until {until}."
    elif state == ConsentState.WITHDRAWN:
        said = f"You stopped '{label}' for {whose}."
    else:
        said = f"You said no to '{label}' for {whose}."
    return f"{said} We have added a receipt to your receipts."


@require_http_methods(["GET", "POST"])
@family_page
@personal_data(action=AuditEvent.RECORD_VIEWED)
def opt_out(request: HttpRequest, public_id: str, kind: str) -> HttpResponse:
    actor, parent = signed_in_parent(request)
    errors: list[tuple[str, str]] = []
    status = 200
    if request.method == "POST":
        try:
            person, event = choices.opt_out(actor, parent, public_id, kind, request.POST.get("choice", ""))
        except InvalidInput as error:
            errors, status = [(error.where or "choice", error.message)], 400
        else:
            what = OPT_OUT_WORDS[OptOutKind(kind)][0].lower()
            done = "opted out of" if event.active else "opted back in to"
            messages.success(request, f"You have {done} {what} for {_whose(person)}.")
            return redirect(f"/portal/consent/#person-{person.public_id}")
    _, person, _ = choices.member(actor, parent, public_id)
    wanted = choices.opt_out_kind(kind)
    active = person.opt_outs.get(wanted.value, False)
    return render(request, "web/portal/consent_opt_out.html", {
        "person": person, "kind": wanted.value, "label": OPT_OUT_WORDS[wanted][0],
        "words": OPT_OUT_WORDS[wanted][1], "active": active, "errors": errors,
        "chosen": request.POST.get("choice", "yes" if active else "no"), "protection_note": PROTECTION_NOTE,
    }, status=status)


@require_GET
@family_page
@personal_data(action=AuditEvent.DATA_DOWNLOADED)
def receipts(request: HttpRequest) -> HttpResponse:
    actor, parent = signed_in_parent(request)
    body = json.dumps(choices.receipts_document(actor, parent), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="famlink-consent-receipts.json"'
    return response
