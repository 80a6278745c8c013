"""The projects app's management command: create_token."""

from io import StringIO

import pytest
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
