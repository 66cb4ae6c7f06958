"""What every read of a family takes: the purpose (required), a case reference, a break-glass authorisation.

Free text is kept to what a database can hold (no NUL character) before it
reaches a service; the services check the rest and say what was wrong.
"""

from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from famlink.core.digits import whole_number
from famlink.core.errors import AccessDenied
from famlink.core.taxonomy import Purpose

#: Text a person typed: any characters but NUL (which no database column takes).
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=4000)]
#: A short value from a query string: printable, on one line.
Word = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$", max_length=200)]


class Reading(Schema):
    purpose: Purpose = Field(description="Why you are reading: the policy decides for this purpose (required).")
    case_reference: Word = Field("", description="The case you are working under; it is written in the access log.")
    break_glass: Word = Field("", description="For child protection: the number of an authorisation.")

    def authorisation(self) -> int | None:
        return whole_number(self.break_glass, where="break_glass", what="the number of an authorisation") \
            if self.break_glass else None


def refused_unless_shown(shown: bool, held_back: list[dict[str, object]]) -> None:
    """Nobody in the answer was shown: the answer is the door's refusal, 403 with its reasons (already logged)."""
    if shown:
        return
    first = held_back[0] if held_back else {}
    reasons = [str(r) for r in first.get("reasons", []) or []]  # type: ignore[attr-defined]
    codes = tuple(str(c) for c in first.get("reason_codes", []) or [])  # type: ignore[attr-defined]
    raise AccessDenied(" ".join(reasons) or "The policy did not allow this purpose for anyone in this family.",
                       codes=codes)
