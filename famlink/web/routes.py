"""Sign-in, the portal and team pages, and the language switch (included from famlink/urls.py)."""

from django.urls import path

from famlink.web import (
    caseload,
    converters,  # noqa: F401  (registers <number:...> and <name:...>)
    corrections,
    family_data,
    language,
    one_login,
    portal,
    sign_in,
    team,
    workspace,
)

urlpatterns = [
    path("sign-in/", sign_in.sign_in, name="sign-in"),
    path("sign-in/security-code/", sign_in.enter_second_factor, name="second-factor"),
    path("sign-in/set-up-security-code/", sign_in.set_up_second_factor, name="set-up-second-factor"),
    path("sign-in/one-login/", one_login.OneLoginStart.as_view(), name="one-login-start"),
    path("sign-in/one-login/callback/", one_login.OneLoginCallback.as_view(), name="one-login-callback"),
    path("sign-in/council/", one_login.CouncilStart.as_view(), name="council-start"),
    path("sign-in/council/callback/", one_login.CouncilCallback.as_view(), name="council-callback"),
    path("sign-out/", sign_in.sign_out, name="sign-out"),
    # the parent portal: every page below reads through the policy door
    path("portal/", portal.start, name="portal"),
    path("portal/verify/", portal.verify, name="portal-verify"),
    path("portal/records/", family_data.records, name="portal-records"),
    path("portal/records/<name:public_id>/<number:record_id>/report/", corrections.report, name="portal-report"),
    path("portal/links/", family_data.links, name="portal-links"),
    path("portal/flags/", family_data.flags, name="portal-flags"),
    path("portal/access-log/", family_data.access_log, name="portal-access-log"),
    path("portal/access-log/<number:entry>/proof.json", family_data.proof, name="portal-proof"),
    path("portal/access-log/runs/<number:run>/<name:person>/proof.json", family_data.run_proof,
         name="portal-run-proof"),
    path("portal/organisations/", family_data.organisations, name="portal-organisations"),
    path("portal/requests/", corrections.requests, name="portal-requests"),
    path("portal/requests/<name:reference>/", corrections.request_detail, name="portal-request"),
    path("portal/messages/", corrections.messages_page, name="portal-messages"),
    # the data team
    path("team/", team.start, name="team"),
    path("team/requests/", team.requests, name="team-requests"),
    path("team/requests/<name:reference>/", team.request_detail, name="team-request"),
    path("team/metrics/", team.metrics, name="team-metrics"),
    path("language/<name:code>/", language.choose_language, name="language"),
    # the practitioner workspace: purpose first, every member through the door
    path("workspace/", workspace.start, name="workspace"),
    path("workspace/search/", workspace.search, name="workspace-search"),
    path("workspace/families/<name:person_id>/open/", workspace.open_page, name="workspace-open"),
    path("workspace/families/<name:person_id>/", workspace.family, name="workspace-family"),
    path("workspace/families/<name:person_id>/chronology/", workspace.chronology, name="workspace-chronology"),
    path("workspace/families/<name:person_id>/chronology.pdf", workspace.chronology_pdf,
         name="workspace-chronology-pdf"),
    # the practitioner's caseload and alerts (public ids and summaries only: names behind the door)
    path("workspace/caseload/", caseload.caseload, name="workspace-caseload"),
    path("workspace/alerts/", caseload.alerts, name="workspace-alerts"),
    path("workspace/alerts/<number:alert>/acknowledge/", caseload.acknowledge, name="workspace-alert-acknowledge"),
]
# Consent and download pages are added below by their modules' owners.

from famlink.web import choices, download  # noqa: E402

urlpatterns += [
    path("portal/consent/", choices.consent, name="portal-consent"),
    path("portal/consent/receipts.json", choices.receipts, name="portal-consent-receipts"),
    path("portal/consent/<name:public_id>/opt-out/<name:kind>/", choices.opt_out, name="portal-opt-out"),
    path("portal/consent/<name:public_id>/<name:purpose>/", choices.change, name="portal-consent-change"),
    path("portal/download/", download.start, name="portal-download"),
    path("portal/download/family.json", download.family_json, name="portal-download-json"),
    path("portal/download/family.csv", download.family_csv, name="portal-download-csv"),
    path("portal/download/family.pdf", download.family_pdf, name="portal-download-pdf"),
    path("portal/download/export.schema.json", download.schema, name="portal-download-schema"),
]

# The workspace: child-protection access (break-glass), its review, and information-sharing decisions.
from famlink.web import break_glass, sharing  # noqa: E402

urlpatterns += [
    path("workspace/break-glass/", break_glass.mine, name="break-glass"),
    path("workspace/break-glass/new/", break_glass.new, name="break-glass-new"),
    path("workspace/break-glass/to-decide/", break_glass.to_decide, name="break-glass-to-decide"),
    path("workspace/break-glass/<number:number>/", break_glass.request_detail, name="break-glass-request"),
    path("workspace/break-glass/<number:number>/withhold/", break_glass.withhold, name="break-glass-withhold"),
    path("workspace/reviews/", break_glass.reviews, name="reviews"),
    path("workspace/reviews/<number:authorisation>/", break_glass.review, name="review"),
    path("workspace/families/<name:person_id>/sharing/", sharing.decisions, name="sharing"),
    path("workspace/families/<name:person_id>/sharing/new/", sharing.new, name="sharing-new"),
]
