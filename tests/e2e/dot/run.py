# Starts django-oauth-toolkit for the end-to-end tests: a fresh database, the user alice and
# one public SPA client, then the development server on 127.0.0.1:DOT_PORT until killed.
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
import django  # noqa: E402

django.setup()
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

call_command("migrate", verbosity=0)
User.objects.create_user("alice", "alice@example.test", "any password")
app = os.environ["DOT_APP_ORIGIN"]
Application.objects.create(
    client_id=os.environ["DOT_CLIENT_ID"],
    name="spa",
    client_type=Application.CLIENT_PUBLIC,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=app + "/e2e/oidc.html",
    post_logout_redirect_uris=app + "/e2e/oidc.html",
    allowed_origins=app,
    algorithm=Application.RS256_ALGORITHM,
    skip_authorization=False,
)
call_command("runserver", "127.0.0.1:" + os.environ["DOT_PORT"], use_reloader=False, use_threading=True)
