"""The projects app's management commands: create_token, create_user."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from projects.tokens import user_for_token

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_token_prints_a_token_that_authenticates(alice):
    token = run("create_token", "alice").strip()
    assert user_for_token(token) == alice
    assert alice.api_tokens.get().token_hash != token  # only the hash is stored


def test_create_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="no such user: nobody"):
        run("create_token", "nobody")


def test_create_user_grants_only_the_permissions_named_and_prints_a_working_password():
    password = run("create_user", "bob", "--email", "bob@example.com", "--perm", "flags.change_flag").strip()
    bob = authenticate(username="bob", password=password)
    assert bob is not None and bob.email == "bob@example.com"
    assert not bob.is_superuser and not bob.is_staff
    assert bob.has_perm("flags.change_flag") and not bob.has_perm("flags.delete_flag")


@pytest.mark.parametrize("perm", ["flags.no_such_thing", "change_flag"])
def test_create_user_refuses_an_unknown_permission_and_creates_nobody(perm):
    with pytest.raises(CommandError, match="no such permission"):
        run("create_user", "bob", "--perm", perm)
    assert not get_user_model().objects.filter(username="bob").exists()


def test_create_user_refuses_an_existing_username(alice):
    with pytest.raises(CommandError, match="exists already"):
        run("create_user", "alice")
