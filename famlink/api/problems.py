"""What an API error looks like in the OpenAPI description: RFC 9457 problem details.

The errors themselves are made in one place, ``famlink/web/errors.py``
(``problem``); this only describes them, so a client's generated code knows
their shape.
"""

from ninja import Field, Schema


class Reason(Schema):
    code: str = Field(description="The policy's reason code (famlink.core.policy.ReasonCode).")
    text: str = Field(description="The same reason in plain English.")


class Problem(Schema):
    type: str = Field(description="A link to this kind of problem's description on /api/docs.")
    title: str
    status: int
    detail: str = Field(description="What was wrong, in words a person can act on.")
    parameter: str | None = Field(None, description="The parameter the problem is about, when it is about one.")
    reasons: list[Reason] | None = Field(None, description="A policy refusal: each of the policy's reasons.")


#: The answers every operation may give instead of its data.
REFUSALS: dict[int, type[Schema]] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem}
