"""
OpenID Connect Back-Channel Logout 1.0, RP side (mozilla-django-oidc does not ship it): the bridge POSTs a
logout_token when the user's SAML session ends; we validate it (section 2.6) and delete the Django sessions of
that bridge session (`sid`), or of the user (`sub`) when the token names no session.
"""
import jwt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.utils import timezone

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
_jwks = jwt.PyJWKClient(settings.OIDC_OP_JWKS_ENDPOINT, cache_keys=True, lifespan=300)


class InvalidLogoutToken(Exception):
    pass


def validate_logout_token(token):
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") not in (None, "logout+jwt"):
            raise InvalidLogoutToken("typ is not logout+jwt")
        key = _jwks.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["RS256", "PS256", "ES256"],
            audience=settings.OIDC_RP_CLIENT_ID,
            issuer=settings.OIDC_ISSUER,
            leeway=30,
            options={"require": ["iss", "aud", "iat", "jti", "events"]},
        )
    except (jwt.PyJWTError, jwt.PyJWKClientError) as error:
        raise InvalidLogoutToken(str(error)) from error
    if not isinstance(claims.get("events"), dict) or not isinstance(claims["events"].get(BACKCHANNEL_EVENT), dict):
        raise InvalidLogoutToken("events does not name the back-channel logout event")
    if not claims.get("sid") and not claims.get("sub"):
        raise InvalidLogoutToken("neither sid nor sub")
    if "nonce" in claims:
        raise InvalidLogoutToken("a logout token must not carry a nonce")
    # A replayed token (same jti) is refused while it could still be valid.
    if not cache.add(f"backchannel-logout:{claims['jti']}", True, timeout=600):
        raise InvalidLogoutToken("jti already used")
    return claims


def end_sessions(claims):
    """Deletes the matching sessions; returns how many. A large site would index sessions by sid instead."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        same_sid = claims.get("sid") and data.get("oidc_sid") == claims["sid"]
        same_sub = not claims.get("sid") and data.get("oidc_sub") == claims.get("sub")
        if same_sid or same_sub:
            session.delete()
            ended += 1
    return ended
