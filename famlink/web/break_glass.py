"""Child-protection access (break-glass) in the workspace: ask, decide, withhold, review.

None of these pages shows a record about the family: they show the
break-glass's own record (the person's id, who asked, why, who agreed, and
for the reviewer which kinds of data were looked at, from the audit log), so
they are ``@public`` routes behind staff page guards. The records themselves
are read only through the family view, with the authorisation's number, and
the policy checks the authorisation again at every use.
"""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from famlink.core.errors import InvalidInput
from famlink.core.policy import Role
from famlink.services.workspace import break_glass
from famlink.web.access import staff_page
from famlink.web.marks import public

#: Who asks, and who may be named as an authoriser (the service checks their authority).
ASKERS = (Role.PRACTITIONER, Role.SAFEGUARDING_LEAD)
REVIEWERS = (Role.INDEPENDENT_REVIEWER,)


class AskForm(forms.Form):
    authoriser = forms.CharField(max_length=20, error_messages={"required": "Choose who should authorise this"})
    case_reference = forms.CharField(max_length=60, error_messages={"required": "Enter the case reference"})
    justification = forms.CharField(max_length=4000, widget=forms.Textarea,
                                    error_messages={"required": "Explain why you need access now"})


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("refuse", "Refuse")], widget=forms.RadioSelect,
                                 error_messages={"required": "Choose approve or refuse"})
    note = forms.CharField(max_length=4000, required=False, widget=forms.Textarea)


class WithholdForm(forms.Form):
    until = forms.DateField(error_messages={"required": "Enter the date to tell the family",
                                            "invalid": "Enter a real date, like 2027-01-31"})
    reason = forms.CharField(max_length=4000, widget=forms.Textarea,
                             error_messages={"required": "Say why telling the family now would put a child at risk"})


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("upheld", "Justified"), ("not_upheld", "Not justified")],
                                widget=forms.RadioSelect, error_messages={"required": "Choose justified or not"})
    note = forms.CharField(max_length=4000, error_messages={"required": "Say why"}, widget=forms.Textarea)


def _problem(form: forms.Form, error: InvalidInput) -> None:
    form.add_error(error.where if error.where in form.fields else None, error.message)


@public
@require_GET
@staff_page(*ASKERS)
def mine(request: HttpRequest) -> HttpResponse:
    """The practitioner's own requests, newest first."""
    return render(request, "web/workspace/break_glass/mine.html", {"rows": break_glass.my_requests(request.user)})


@public
@require_http_methods(["GET", "POST"])
@staff_page(*ASKERS)
def new(request: HttpRequest) -> HttpResponse:
    """Ask a named authoriser for child-protection access to the person in ``?person=``."""
    person_id = request.GET.get("person", "")
    form = AskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = break_glass.ask(request.user, person_id, data["authoriser"], data["justification"],
                                   data["case_reference"])
        except InvalidInput as error:
            _problem(form, error)
        else:
            messages.success(request, "Your request has been sent to the authoriser.")
            return redirect("break-glass-request", number=made.pk)
    page = break_glass.asking(request.user, person_id)
    return render(request, "web/workspace/break_glass/new.html", {"page": page, "form": form},
                  status=400 if form.errors else 200)


@public
@require_GET
@staff_page(*ASKERS)
def to_decide(request: HttpRequest) -> HttpResponse:
    """The authoriser's own screen: the requests that name them."""
    return render(request, "web/workspace/break_glass/to_decide.html", {"rows": break_glass.to_decide(request.user)})


@public
@require_http_methods(["GET", "POST"])
@staff_page(*ASKERS)
def request_detail(request: HttpRequest, number: int) -> HttpResponse:
    """One request; the named authoriser approves or refuses it here (anyone else: not found)."""
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                made = break_glass.approve(request.user, number, form.cleaned_data["note"])
                messages.success(request, f"Approved. The authorisation number is {made.pk}.")
            else:
                break_glass.refuse(request.user, number, form.cleaned_data["note"])
                messages.success(request, "Refused. The practitioner can see your reason.")
        except InvalidInput as error:
            _problem(form, error if error.where != "reason" else InvalidInput(error.message, where="note"))
        else:
            return redirect("break-glass-request", number=number)
    view = break_glass.request_for(request.user, number)
    return render(request, "web/workspace/break_glass/request.html", {"v": view, "r": view.request, "form": form},
                  status=400 if form.errors else 200)


@public
@require_http_methods(["GET", "POST"])
@staff_page(*ASKERS)
def withhold(request: HttpRequest, number: int) -> HttpResponse:
    """A designated safeguarding lead holds back telling the family, for up to 28 days, with a reason."""
    form = WithholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        until = timezone.make_aware(datetime.combine(form.cleaned_data["until"], time.min))
        try:
            break_glass.withhold(request.user, number, form.cleaned_data["reason"], until)
        except InvalidInput as error:
            _problem(form, error)
        else:
            messages.success(request, "The family will not be told before the date you gave.")
            return redirect("break-glass-request", number=number)
    view = break_glass.request_for(request.user, number)
    return render(request, "web/workspace/break_glass/withhold.html", {"v": view, "r": view.request, "form": form},
                  status=400 if form.errors else 200)


@public
@require_GET
@staff_page(*REVIEWERS)
def reviews(request: HttpRequest) -> HttpResponse:
    """The independent reviewer's queue, soonest review date first."""
    return render(request, "web/workspace/reviews/queue.html",
                  {"rows": break_glass.review_queue(request.user), "today": timezone.localdate()})


@public
@require_http_methods(["GET", "POST"])
@staff_page(*REVIEWERS)
def review(request: HttpRequest, authorisation: int) -> HttpResponse:
    """One break-glass to review: why, who, when, and what was looked at under it; never the records."""
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            break_glass.review(request.user, authorisation, form.cleaned_data["outcome"], form.cleaned_data["note"])
        except InvalidInput as error:
            _problem(form, error)
        else:
            messages.success(request, "Your review is recorded.")
            return redirect("review", authorisation=authorisation)
    view = break_glass.for_review(request.user, authorisation)
    return render(request, "web/workspace/reviews/review.html", {"v": view, "a": view.authorisation, "form": form},
                  status=400 if form.errors else 200)
