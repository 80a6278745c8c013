"""A user's app with release health on: the real sentry-sdk sends sessions as it does in production.

Web requests through sentry-sdk's WSGI middleware are request-mode sessions, sent as a `sessions`
aggregate per minute; an app's own start_session()/end_session() around a user's work sends one
`session` item each, with the user as its `did`. Run as a separate process:
    python tests/apps/health_app.py DSN RELEASE ENVIRONMENT OK CRASHED ERRORED USER:OUTCOME…
OUTCOME is ok, errored (a handled error) or crashed (an unhandled one).
"""

import sys
from wsgiref.util import setup_testing_defaults

import sentry_sdk
from sentry_sdk.integrations.wsgi import SentryWsgiMiddleware
from sentry_sdk.utils import event_from_exception


def shop(environ, start_response):
    """A tiny WSGI app: /crash raises (the middleware reports it unhandled: a crashed session),
    /errored reports a handled error and answers 200 (an errored session), anything else is fine."""
    if environ["PATH_INFO"] == "/crash":
        raise RuntimeError("checkout blew up")
    if environ["PATH_INFO"] == "/errored":
        try:
            raise ValueError("bad coupon")
        except ValueError as exc:
            sentry_sdk.capture_exception(exc)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def request(app, path: str) -> None:
    environ = {"PATH_INFO": path}
    setup_testing_defaults(environ)
    try:
        b"".join(app(environ, lambda status, headers, exc_info=None: None))
    except RuntimeError:
        pass  # the server would answer 500


def user_session(username: str, outcome: str) -> None:
    with sentry_sdk.isolation_scope() as scope:
        scope.set_user({"id": username})
        sentry_sdk.start_session()
        try:
            raise KeyError(f"cart of {username}")
        except KeyError:
            if outcome == "crashed":  # what an integration reports for an exception nobody caught
                event, hint = event_from_exception(sys.exc_info(), mechanism={"type": "app", "handled": False})
                sentry_sdk.capture_event(event, hint=hint)
            elif outcome == "errored":
                sentry_sdk.capture_exception()
        sentry_sdk.end_session()


def main(dsn: str, release: str, environment: str, ok: str, crashed: str, errored: str, *users: str) -> None:
    sentry_sdk.init(dsn=dsn, release=release, environment=environment, default_integrations=False,
                    auto_session_tracking=True)
    app = SentryWsgiMiddleware(shop)
    for path, times in (("/", ok), ("/crash", crashed), ("/errored", errored)):
        for _ in range(int(times)):
            request(app, path)
    for user in users:
        username, outcome = user.split(":")
        user_session(username, outcome)
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main(*sys.argv[1:])
