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
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from famlink import config
from famlink.adapters.storage.governance.models import OptOutKind
from famlink.core.audit import AuditEvent
from famlink.core.consent import ConsentAction, ConsentLevel, ConsentState
from famlink.core.errors import InvalidInput
from famlink.core.policy import ConsentModel
from famlink.core.taxonomy import Purpose
from famlink.services.rights import choices
from famlink.web import words
from famlink.web.access import family_page, signed_in_parent
from famlink.web.marks import personal_data

#: What each purpose means, for a parent (the names are in ``famlink.web.words``).
PURPOSE_WORDS = {
    "service.direct_delivery": _("Staff at a service you use, like your doctor or your school, look at your records "
                                 "to help you."),
    "service.early_help_identification": _("A family support team looks at your records to see if your family "
                                           "might like some extra help. You never have to take the help."),
    "safeguarding.child_protection": _("Staff look at your records if they are worried a child might be harmed. "
                                       "Even if you say no, they can still look in an emergency. A senior person "
                                       "must agree and write down why. You will usually see it in 'Who has looked "
                                       "at your records'."),
    "research.pseudonymised_statistics": _("Researchers use records to learn what helps families. Names and "
                                           "addresses are taken off first."),
    "service.record_linkage": _("We match records from different places that are about the same person. For "
                                "example, a record from your doctor and a record from your school."),
}
LEVEL_WORDS = {
    ConsentLevel.WITHIN_SERVICE: (_("Only the service that holds each record"),
                                  _("For example, the school can use school records, but not health records.")),
    ConsentLevel.ACROSS_SERVICES: (_("Services can share records with each other"),
                                   _("For example, a support worker can see school and health records together.")),
    ConsentLevel.NO_LINKING: (_("Nobody"), _("Records are not used for this.")),
}
ACTION_WORDS = {
    ConsentAction.GIVE: (_("Yes, I agree"), _("Then choose who can use the records, below.")),
    ConsentAction.RENEW: (_("Keep my answer for another year"), _("Nothing else changes.")),
    ConsentAction.WITHDRAW: (_("Stop: I no longer agree"), _("Nobody can use the records for this from now on.")),
    ConsentAction.REFUSE: (_("No, I do not agree"), _("Nobody can use the records for this.")),
}
CHANGE_LEVEL_WORDS = (_("Change who can use the records"), _("Your answer stays yes. Choose who, below."))
OPT_OUT_WORDS = {
    OptOutKind.LINKAGE: (_("Linking records"),
                         _("We will not match records from different places. Each service only sees its own "
                           "records. Some help may be harder to offer, because nobody sees the whole picture.")),
    OptOutKind.SHARING: (_("Sharing records between services"),
                         _("Services will not share records with each other. A service can still use its own "
                           "records to help you.")),
}
PROTECTION_NOTE = _("If a child might be harmed, staff can still look at records. A senior person must agree and "
                    "write down why.")


def state_words(choice: choices.PurposeChoice) -> str:
    """The consent as it stands, in one or two short sentences, true to the purpose's consent model."""
    until = formats.date_format(choice.expires_on, "j F Y") if choice.expires_on else ""
    who = LEVEL_WORDS[choice.level][0] if choice.level else ""
    model = config.consent_models()[choice.purpose].model
    linkage = choice.purpose is Purpose.RECORD_LINKAGE
    if model is ConsentModel.STATUTORY:
        return gettext("You are not asked: the law says we must.")
    if choice.state is None and model is ConsentModel.OPT_OUT:
        return gettext("Not asked yet. The records are used for this unless you say no.")
    if choice.state is None and linkage:
        return gettext("Not asked yet. Records from different services are not matched until you say yes.")
    if choice.state is None:
        return gettext("Not asked yet. Nobody can use the records for this until you say yes.")
    if choice.state in (ConsentState.GIVEN, ConsentState.RENEWED):
        return gettext("Yes. %(who)s. Until %(until)s.") % {"who": who, "until": until}
    if choice.state is ConsentState.EXPIRED and model is ConsentModel.OPT_OUT:
        return gettext("Your yes ran out on %(until)s. The records are used for this unless you say no.") % {
            "until": until}
    if choice.state is ConsentState.EXPIRED and linkage:
        return gettext("Your yes ran out on %(until)s. Records from different services are not matched until "
                       "you say yes again.") % {"until": until}
    if choice.state is ConsentState.EXPIRED:
        return gettext("Your yes ran out on %(until)s. Nobody can use the records for this until you say yes "
                       "again.") % {"until": until}
    if linkage:
        stopped = choice.state is ConsentState.WITHDRAWN
        return (gettext("No. You stopped it. Records from different services are not matched.") if stopped
                else gettext("No. Records from different services are not matched."))
    if choice.state is ConsentState.WITHDRAWN:
        return gettext("No. You stopped it. Nobody can use the records for this.")
    return gettext("No. Nobody can use the records for this.")


def _opt_out_words(kind: OptOutKind) -> str:
    """What opting out does, true to the configured model: under a statutory duty to match, it does not stop it."""
    basis = config.consent_models()[Purpose.RECORD_LINKAGE]
    if kind is OptOutKind.LINKAGE and basis.model is ConsentModel.STATUTORY:
        return gettext("The law says we must match records from different places, so opting out does not stop "
                       "it. The law is: %(law)s.") % {"law": basis.lawful_basis}
    return str(OPT_OUT_WORDS[kind][1])


def _person_context(person: choices.PersonChoices) -> dict[str, object]:
    rows = [{"choice": c, "label": words.PURPOSE[c.purpose], "words": PURPOSE_WORDS[c.purpose.value],
             "model": words.consent_model_words(c.purpose), "state": state_words(c)} for c in person.purposes]
    opt_outs = [{"kind": kind.value, "label": OPT_OUT_WORDS[kind][0], "words": _opt_out_words(kind),
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


def _actions(choice: choices.PurposeChoice) -> list[dict[str, Any]]:
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
    return gettext("you") if person.is_parent else person.name


def _done(person: choices.PersonChoices, purpose: str, state: str, expires_at: datetime | None) -> str:
    label = words.PURPOSE[choices.consent_purpose(purpose)]
    whose = _whose(person)
    said = {"label": label, "whose": whose}
    if state in (ConsentState.GIVEN, ConsentState.RENEWED):
        until = formats.date_format(timezone.localtime(expires_at), "j F Y") if expires_at else ""
        return gettext("You said yes to '%(label)s' for %(whose)s, until %(until)s. We have added a receipt to "
                       "your receipts.") % {**said, "until": until}
    if state == ConsentState.WITHDRAWN:
        return gettext("You stopped '%(label)s' for %(whose)s. We have added a receipt to your receipts.") % said
    return gettext("You said no to '%(label)s' for %(whose)s. We have added a receipt to your receipts.") % said


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
            said = {"what": str(OPT_OUT_WORDS[OptOutKind(kind)][0]).lower(), "whose": _whose(person)}
            messages.success(request, gettext("You have opted out of %(what)s for %(whose)s.") % said if event.active
                             else gettext("You have opted back in to %(what)s for %(whose)s.") % said)
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
