"""The demo data seeded by `make run`."""

from django.test import Client

from flags.demo import demo_sdk_key, seed_flags
from flags.models import Flag, SdkKey


def test_seed_flags_is_idempotent_and_gives_every_flag_an_owner(project, alice):
    seed_flags(project, alice)
    seed_flags(project, alice)
    flags = {f.key: f for f in Flag.objects.filter(project=project)}
    assert {"new-checkout", "dark-mode", "search-v2"} <= set(flags)
    assert all(f.owner == alice for f in flags.values())
    assert flags["dark-mode"].environments.get(environment="production").rollout_percentage == 50
    assert SdkKey.objects.filter(project=project).count() == 1


def test_demo_key_is_stable_and_evaluates_the_demo_flags(project, alice):
    seed_flags(project, alice)
    key = demo_sdk_key(project)
    assert key == demo_sdk_key(project, "production")
    answer = Client().post("/ofrep/v1/evaluate/flags/new-checkout", data='{"context": {"targetingKey": "u-17"}}',
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert (answer["reason"], answer["variant"] in ("on", "off")) == ("SPLIT", True)  # half the users get it
