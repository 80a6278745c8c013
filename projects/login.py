"""Logins, throttled: failed logins are counted per username and per client address.

80 wrong passwords in a row used to go through without delay (issue 8). Failures are counted
where Django reports them (the user_login_failed signal), so the admin's login form counts too;
while a username or an address is over its count, ThrottledModelBackend refuses every
password without checking it, and the login form says so with 429 and Retry-After. A successful
login clears the username's count, not the address's: one address guessing many accounts stays
throttled even when it guesses one.
"""

from __future__ import annotations

import math

from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver

from projects.throttle import Throttle, client_address

BY_USERNAME = Throttle("login-username", count=10, seconds=15 * 60)
BY_ADDRESS = Throttle("login-address", count=30, seconds=15 * 60)  # higher: an office shares one NAT address


def _username(raw) -> str:
    return str(raw or "").strip().lower()[:150]


def _address(request) -> str:
    return client_address(request) if request is not None else "no request"


def login_retry_after(username: str, address: str) -> int:
    """Seconds until this username may try from this address again; 0 when it may now."""
    return max(BY_USERNAME.retry_after(_username(username)), BY_ADDRESS.retry_after(address))


@receiver(user_login_failed, dispatch_uid="projects.login.count_failure")
def count_failed_login(sender, credentials, request=None, **kwargs):
    BY_USERNAME.hit(_username(credentials.get("username")))
    BY_ADDRESS.hit(_address(request))


@receiver(user_logged_in, dispatch_uid="projects.login.clear_failures")
def clear_failed_logins(sender, request, user, **kwargs):
    BY_USERNAME.reset(_username(user.get_username()))


class ThrottledModelBackend(ModelBackend):
    """Django's backend, refusing without a password check while the login is throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if login_retry_after(username or kwargs.get("username", ""), _address(request)):
            raise PermissionDenied("too many failed logins")  # authenticate() stops at once
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginView(auth_views.LoginView):
    """Django's login view, answering 429 with a message while the login is throttled."""

    def post(self, request, *args, **kwargs):
        wait = login_retry_after(request.POST.get("username", ""), client_address(request))
        if not wait:
            return super().post(request, *args, **kwargs)
        minutes = math.ceil(wait / 60)
        message = f"Too many failed logins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        form = self.get_form_class()(request)  # unbound: validating it would check the password
        response = self.render_to_response(self.get_context_data(form=form, throttled=message), status=429)
        response["Retry-After"] = str(wait)
        return response
