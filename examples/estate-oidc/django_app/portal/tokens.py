import requests
from django.conf import settings


def refresh(grant):
    """Uses an OfflineGrant's refresh token (rotated: the new one is stored). Returns (outcome, tokens):
    ("refreshed", token response); ("refused", None) when the bridge answers invalid_grant (the user signed out:
    the grant is deleted); ("unavailable", None) when the bridge could not be asked (kept for the next try)."""
    try:
        answer = requests.post(
            settings.OIDC_OP_TOKEN_ENDPOINT,
            data={"grant_type": "refresh_token", "refresh_token": grant.refresh_token},
            auth=(settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET),
            timeout=10,
        )
    except requests.RequestException:
        return "unavailable", None
    if answer.status_code == 400 and answer.json().get("error") == "invalid_grant":
        grant.delete()
        return "refused", None
    if answer.status_code != 200:
        return "unavailable", None
    tokens = answer.json()
    if tokens.get("refresh_token"):
        grant.refresh_token = tokens["refresh_token"]
        grant.save(update_fields=["refresh_token", "updated"])
    return "refreshed", tokens
