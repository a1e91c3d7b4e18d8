"""`manage.py refresh_grants`: the nightly job that works on users' behalf with their refresh tokens. Prints one
JSON line per grant: {"sid", "sub", "outcome": "refreshed" | "refused" | "unavailable"}; a refused grant (the user
signed out) is deleted."""
import json

from django.core.management.base import BaseCommand

from portal.models import OfflineGrant
from portal.tokens import refresh


class Command(BaseCommand):
    help = "Refreshes every offline grant; drops those the bridge refuses."

    def handle(self, *args, **options):
        for grant in list(OfflineGrant.objects.all()):
            sid, sub = grant.sid, grant.sub
            outcome, _tokens = refresh(grant)
            self.stdout.write(json.dumps({"sid": sid, "sub": sub, "outcome": outcome}))
