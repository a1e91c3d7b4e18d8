"""
mozilla-django-oidc, adapted to the bridge in three small ways:
- the profile comes from the ID token (signature and nonce checked by mozilla-django-oidc; issuer and audience
  checked here, which it leaves to the app), because the access token is for the API, not for userinfo;
- the bridge's session id (`sid`) and subject go into the Django session, so back-channel logout finds it;
- the refresh token is kept in an OfflineGrant for work done later on the user's behalf.
"""
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from portal.models import OfflineGrant


class BridgeBackend(OIDCAuthenticationBackend):
    def get_token(self, payload):
        token_info = super().get_token(payload)
        self._refresh_token = token_info.get("refresh_token")
        return token_info

    def get_userinfo(self, access_token, id_token, payload):
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if payload.get("iss") != settings.OIDC_ISSUER or settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token from another issuer or for another client")
        session = self.request.session
        session["oidc_sid"] = payload.get("sid")
        session["oidc_sub"] = payload["sub"]
        session["oidc_claims"] = {k: payload.get(k) for k in ("email", "name", "groups", "acr", "amr")}
        if self._refresh_token and payload.get("sid"):
            OfflineGrant.objects.update_or_create(
                sid=payload["sid"], defaults={"sub": payload["sub"], "refresh_token": self._refresh_token}
            )
        return payload

    def filter_users_by_claims(self, claims):
        # The bridge's `sub` is stable per (organization, user); the email may change at the IdP.
        return self.UserModel.objects.filter(username=claims["sub"])

    def create_user(self, claims):
        return self.UserModel.objects.create_user(claims["sub"], email=claims.get("email", ""))

    def update_user(self, user, claims):
        if claims.get("email") and user.email != claims["email"]:
            user.email = claims["email"]
            user.save(update_fields=["email"])
        return user
