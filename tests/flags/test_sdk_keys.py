"""SDK keys: hashed at rest, looked up through a per-process memo and Redis, revocable."""

from flags import sdk_keys
from flags.models import SdkKey
from tests.conftest import delete_own_keys


def test_only_the_hash_and_a_prefix_are_stored(project):
    key, plaintext = sdk_keys.create_sdk_key(project, "production", source="command")
    assert plaintext.startswith("sysrv_") and len(plaintext) > 40
    assert key.key_hash == sdk_keys.hash_key(plaintext) and plaintext[:12] == key.prefix
    assert plaintext not in str(SdkKey.objects.filter(pk=key.pk).values().get())


def test_client_keys_have_their_own_prefix(project):
    key, plaintext = sdk_keys.create_sdk_key(project, "production", kind="client", source="command")
    assert plaintext.startswith("sycli_") and key.kind == "client"


def test_key_info_names_project_environment_and_kind(project):
    key, plaintext = sdk_keys.create_sdk_key(project, "staging", source="command")
    assert sdk_keys.key_info(plaintext) == sdk_keys.KeyInfo(key.id, project.id, "staging", "server")
    assert sdk_keys.key_info("sysrv_unknown") is None


def test_revoked_key_stays_valid_at_most_for_the_memo_lifetime(project, alice, django_capture_on_commit_callbacks):
    key, plaintext = sdk_keys.create_sdk_key(project, "production", source="command")
    assert sdk_keys.key_info(plaintext, now=100.0) is not None
    with django_capture_on_commit_callbacks(execute=True):
        sdk_keys.revoke_sdk_key(key, actor=alice, source="dashboard")
    assert sdk_keys.key_info(plaintext, now=100.5) is not None  # memoised in this process
    assert sdk_keys.key_info(plaintext, now=101.5) is None      # a second later: refused


def test_lookup_survives_a_redis_flush(project, redis_client):
    _, plaintext = sdk_keys.create_sdk_key(project, "production", source="command")
    delete_own_keys(redis_client)
    sdk_keys.sdk_key_cache.forget()
    assert sdk_keys.key_info(plaintext).project_id == project.id


def test_revoking_twice_writes_one_audit_row(project, alice):
    key, _ = sdk_keys.create_sdk_key(project, "production", actor=alice, source="dashboard")
    first = sdk_keys.revoke_sdk_key(key, actor=alice, source="dashboard").revoked_at
    assert sdk_keys.revoke_sdk_key(key, actor=alice, source="dashboard").revoked_at == first
    actions = list(project.flag_changes.values_list("action", "actor__username"))
    assert actions == [("sdk_key_revoked", "alice"), ("sdk_key_created", "alice")]
