import requests
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from urllib.parse import urlencode

from portal.backchannel import InvalidLogoutToken, end_sessions, validate_logout_token
from portal.models import OfflineGrant
from portal.tokens import refresh


@login_required
def home(request):
    claims = request.session.get("oidc_claims", {})
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in claims.items())
    return HttpResponse(
        f"<h1>Estate (Django)</h1><table id='claims'>{rows}</table>"
        "<p><a href='/orders/'>Orders from the API</a> · <a href='/sign-out/'>Sign out</a></p>"
    )


@login_required
def orders(request):
    """Calls the Node API with the access token; when it has expired, refreshes once and tries again."""
    answer = _call_api(request.session.get("oidc_access_token"))
    if answer.status_code == 401:
        grant = OfflineGrant.objects.filter(sid=request.session.get("oidc_sid")).first()
        outcome, tokens = refresh(grant) if grant else ("refused", None)
        if outcome == "refreshed":
            request.session["oidc_access_token"] = tokens["access_token"]
            answer = _call_api(tokens["access_token"])
    body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
    return JsonResponse({"apiStatus": answer.status_code, "api": body})


def _call_api(access_token):
    return requests.get(
        settings.API_URL, headers={"Authorization": f"Bearer {access_token or ''}"}, timeout=10
    )


def sign_out(request):
    """RP-initiated logout: end the Django session, then the bridge's (which signs out at the SAML IdP)."""
    id_token = request.session.get("oidc_id_token")
    logout(request)
    query = {"post_logout_redirect_uri": request.build_absolute_uri("/signed-out/")}
    if id_token:
        query["id_token_hint"] = id_token
    return redirect(f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{urlencode(query)}")


def signed_out(request):
    return HttpResponse("<h1>Signed out</h1><p><a href='/'>Sign in again</a></p>")


@csrf_exempt  # server to server from the bridge; the signed logout_token is the proof
@require_POST
def backchannel_logout(request):
    try:
        claims = validate_logout_token(request.POST.get("logout_token", ""))
    except InvalidLogoutToken as error:
        response = JsonResponse({"error": "invalid_request", "error_description": str(error)}, status=400)
    else:
        response = JsonResponse({"ended": end_sessions(claims)})
    response["Cache-Control"] = "no-store"
    return response
