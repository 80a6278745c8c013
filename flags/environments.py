"""Which environments a project has: the defaults, plus any an SDK key or a flag state names."""

from __future__ import annotations

from flags import conf


def project_environments(project_id: int) -> list[str]:
    """Sorted with production first: the environment most pages care about."""
    from flags.models import FlagEnvironment, SdkKey

    names = set(conf.get("ENVIRONMENTS"))
    names.update(SdkKey.objects.filter(project_id=project_id).values_list("environment", flat=True).distinct())
    names.update(
        FlagEnvironment.objects.filter(flag__project_id=project_id).values_list("environment", flat=True).distinct()
    )
    return sorted(names, key=lambda name: (name != "production", name))
