"""
The estate's Django app, signing in through the saml-sp-kit OpenID bridge (mozilla-django-oidc).

Everything about the bridge comes from the environment, so one file serves the dev IdP and Keycloak:
  OIDC_ISSUER        the bridge's issuer (its BASE_URL), e.g. http://localhost:3000
  OIDC_CLIENT_ID     / OIDC_CLIENT_SECRET: from `saml-sp oidc-clients add` or POST /admin/api/oidc-clients
  API_URL            the Node API (examples/estate-oidc/api.ts); API_RESOURCE its resource indicator
  OIDC_CONNECTION    optional: which SAML connection to use (else the bridge picks by organization/login_hint)
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "estate-oidc-example-only-not-for-production")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "mozilla_django_oidc",
    "portal",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "estate_django.urls"
WSGI_APPLICATION = "estate_django.wsgi.application"
TEMPLATES = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB", str(BASE_DIR / "db.sqlite3")),
    }
}
# Sessions in the database: back-channel logout must be able to end a session without the browser.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_NAME = "estate_django_session"
USE_TZ = True

AUTHENTICATION_BACKENDS = ["portal.auth.BridgeBackend"]
LOGIN_URL = "/oidc/authenticate/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "http://localhost:3000").rstrip("/")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{OIDC_ISSUER}/oidc/auth"
OIDC_OP_TOKEN_ENDPOINT = f"{OIDC_ISSUER}/oidc/token"
OIDC_OP_USER_ENDPOINT = f"{OIDC_ISSUER}/oidc/userinfo"
OIDC_OP_JWKS_ENDPOINT = f"{OIDC_ISSUER}/oidc/jwks"
OIDC_OP_LOGOUT_ENDPOINT = f"{OIDC_ISSUER}/oidc/session/end"
OIDC_RP_SIGN_ALGO = "RS256"
# `api`: the scope of the Node API (a resource scope of API_RESOURCE), which the API requires.
OIDC_RP_SCOPES = "openid email profile groups offline_access api"
OIDC_USE_PKCE = True  # the bridge requires PKCE (S256) from every client
OIDC_TOKEN_USE_BASIC_AUTH = True
OIDC_STORE_ACCESS_TOKEN = True
OIDC_STORE_ID_TOKEN = True
API_URL = os.environ.get("API_URL", "http://127.0.0.1:4000/orders")
API_RESOURCE = os.environ.get("API_RESOURCE", "https://api.estate.test")
# The access token is a JWT for the API (RFC 8707 resource indicator); the bridge needs to know which SAML IdP.
# prompt=consent: OpenID Connect issues a refresh token (offline_access) only then; the bridge asks no question
# of the user for a client an admin registered.
OIDC_AUTH_REQUEST_EXTRA_PARAMS = {"resource": API_RESOURCE, "prompt": "consent"}
if os.environ.get("OIDC_CONNECTION"):
    OIDC_AUTH_REQUEST_EXTRA_PARAMS["connection"] = os.environ["OIDC_CONNECTION"]
OIDC_TIMEOUT = 10
