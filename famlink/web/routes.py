"""Sign-in, the portal and team front doors, and the language switch (included from famlink/urls.py)."""

from django.urls import path

from famlink.web import language, one_login, portal, sign_in, team

urlpatterns = [
    path("sign-in/", sign_in.sign_in, name="sign-in"),
    path("sign-in/security-code/", sign_in.enter_second_factor, name="second-factor"),
    path("sign-in/set-up-security-code/", sign_in.set_up_second_factor, name="set-up-second-factor"),
    path("sign-in/one-login/", one_login.OneLoginStart.as_view(), name="one-login-start"),
    path("sign-in/one-login/callback/", one_login.OneLoginCallback.as_view(), name="one-login-callback"),
    path("sign-out/", sign_in.sign_out, name="sign-out"),
    path("portal/", portal.start, name="portal"),
    path("portal/verify/", portal.verify, name="portal-verify"),
    path("team/", team.start, name="team"),
    path("language/<str:code>/", language.choose_language, name="language"),
]
