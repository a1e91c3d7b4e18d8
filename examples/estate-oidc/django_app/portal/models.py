from django.db import models


class OfflineGrant(models.Model):
    """A refresh token kept outside the browser session, for work done on the user's behalf later (the nightly
    order sync of `manage.py refresh_grants`). Keyed by the bridge's session id (`sid`)."""

    sid = models.CharField(max_length=200, primary_key=True)
    sub = models.CharField(max_length=200, db_index=True)
    refresh_token = models.TextField()
    updated = models.DateTimeField(auto_now=True)
