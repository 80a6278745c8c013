"""In-process flag evaluation, a library surface for Django code that runs beside Switchyard (a
plugin, a management command, a Django app on the same database and Redis): `flag_enabled` and
`flag_value` by project id, and django-waffle's `flag_is_active(request, key)` for views (its
template tag is `{% flag %}` in flags.templatetags.switchyard_flags). They read the same
Redis-cached configuration and evaluator as the OFREP endpoints, without HTTP, so a kill reaches
them as fast; flags.testing's overrides apply to them. Switchyard's own request paths evaluate
through OFREP, not through this.
"""

from __future__ import annotations

import time
from typing import Any

from flags import cache, conf
from flags.evaluation import Resolution, evaluate

_overrides: dict[str, Any] = {}  # flag key → value, set by flags.testing.override_flag
# project slug → (id, when looked up), for the FLAGS_DJANGO_PROJECT setting: a minute, so a
# request does not query the database, and a project made again under its slug is found.
_project_ids: dict[str, tuple[int, float]] = {}
PROJECT_ID_SECONDS = 60


def resolve(project_id: int, key: str, environment: str = "production", context: dict | None = None) -> Resolution | None:
    """The resolution of a flag, or None when the project has no such flag."""
    if key in _overrides:
        return Resolution(_overrides[key], "STATIC", "override", {})
    config = cache.load(project_id, environment)
    flag = config.flags.get(key)
    return evaluate(flag, context or {}, config.flags) if flag is not None else None


def flag_value(project_id: int, key: str, default: Any, environment: str = "production", context: dict | None = None) -> Any:
    """The flag's value, or `default` when the flag is unknown or cannot be evaluated."""
    resolution = resolve(project_id, key, environment, context)
    if resolution is None or resolution.error_code:
        return default
    return resolution.value


def flag_enabled(project_id: int, key: str, environment: str = "production", context: dict | None = None) -> bool:
    """True when a boolean flag evaluates to True; False for anything else, unknown flags included."""
    return flag_value(project_id, key, False, environment, context) is True


# --- django-waffle's API, for views and templates -------------------------------------------------

def request_context(request) -> dict:
    """The evaluation context of a Django request: the user's primary key as the targeting key
    (the session key for an anonymous visitor with a session), and the attributes waffle's
    flags test (authenticated, staff, superuser) plus username, email and language."""
    user = getattr(request, "user", None)
    context: dict[str, Any] = {}
    if user is not None and user.is_authenticated:
        context.update(targetingKey=str(user.pk), username=user.get_username(), authenticated=True,
                       is_staff=bool(user.is_staff), is_superuser=bool(user.is_superuser))
        if getattr(user, "email", ""):
            context["email"] = user.email
    else:
        context["authenticated"] = False
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            context["targetingKey"] = session.session_key
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        context["language"] = language
    return context


def _project_id(project: int | str | None) -> int:
    project = project if project is not None else conf.get("DJANGO_PROJECT")
    if project is None:
        raise LookupError("set SWITCHYARD['FLAGS_DJANGO_PROJECT'] to a project id or slug, or pass project=")
    if isinstance(project, int):
        return project
    if str(project).isdigit():
        return int(project)
    found, when = _project_ids.get(project, (0, 0.0))
    if time.monotonic() - when > PROJECT_ID_SECONDS:
        from projects.models import Project

        found = Project.objects.values_list("id", flat=True).get(slug=project)
        _project_ids[project] = (found, time.monotonic())
    return found


def flag_is_active(request, key: str, *, project: int | str | None = None, environment: str | None = None) -> bool:
    """Is the flag on for this request's user? A boolean flag: it evaluates to True; another
    type: it serves a variant other than its off variant. False for unknown flags and for
    answers that need a targeting key the request does not have. One request sees one answer
    per flag, however often it asks (memoised on the request)."""
    project_id = _project_id(project)
    environment = environment or conf.get("DJANGO_ENVIRONMENT")
    memo = request.__dict__.setdefault("_switchyard_flags", {})
    if (project_id, environment, key) not in memo:
        memo[(project_id, environment, key)] = _active(project_id, key, environment, request_context(request))
    return memo[(project_id, environment, key)]


def _active(project_id: int, key: str, environment: str, context: dict) -> bool:
    if key in _overrides:
        return bool(_overrides[key])
    config = cache.load(project_id, environment)
    flag = config.flags.get(key)
    if flag is None:
        return False
    resolution = evaluate(flag, context, config.flags)
    if resolution.error_code:
        return False
    if isinstance(resolution.value, bool):
        return resolution.value
    return resolution.variant != flag["off"]
