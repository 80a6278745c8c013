"""Dashboard forms. They only shape input; the rules live in flags.validation and flags.changes."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import get_user_model

from flags.models import FlagKind, GuardMode, SdkKeyKind, ValueType


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class FlagCreateForm(forms.Form):
    key = forms.CharField(max_length=200, help_text="e.g. new-checkout or payments/retry-v2")
    name = forms.CharField(max_length=200, required=False)
    kind = forms.ChoiceField(choices=FlagKind.choices)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.none())
    value_type = forms.ChoiceField(choices=ValueType.choices, initial=ValueType.BOOLEAN)
    variants = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text='JSON {"name": value}; empty for on/off. Non-boolean flags name their variants here.',
    )
    off_variant = forms.CharField(max_length=64, required=False, help_text="Empty: off")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    team = forms.CharField(max_length=100, required=False)
    ticket = forms.CharField(max_length=300, required=False)
    repository_path = forms.CharField(max_length=300, required=False)
    client_side = forms.BooleanField(required=False, help_text="Client (browser) SDK keys may evaluate it")

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        if project is not None:
            self.fields["owner"].queryset = project.members.filter(is_active=True).order_by("username")

    def clean_variants(self):
        text = self.cleaned_data["variants"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc}") from None

    def create_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["off_variant"] = data["off_variant"] or None
        return data


class SwitchForm(forms.Form):
    environment = forms.CharField(max_length=64)
    reason = forms.CharField(max_length=1000, widget=forms.TextInput(attrs={"placeholder": "Why? (required)"}))


class StateForm(forms.Form):
    environment = forms.CharField(max_length=64, widget=forms.HiddenInput)
    default_variant = forms.CharField(max_length=64)
    rollout_percentage = forms.DecimalField(min_value=0, max_value=100, decimal_places=2)
    rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                            help_text='JSON list: [{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}], "variant": "on"}]')
    allow_keys = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One targeting key a line")
    deny_keys = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One targeting key a line")
    guard = forms.ChoiceField(choices=GuardMode.choices, initial=GuardMode.OFF, required=False,
                              help_text="When a spike is pinned on this flag here: do nothing, alert only, or disable it.")
    reason = forms.CharField(max_length=1000, required=False)

    def clean_rules(self):
        text = self.cleaned_data["rules"].strip()
        try:
            return json.loads(text) if text else []
        except ValueError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc}") from None

    def state(self) -> dict:
        data = self.cleaned_data
        return {
            "default_variant": data["default_variant"],
            "rollout_percentage": data["rollout_percentage"],
            "rules": data["rules"],
            "allow_keys": _lines(data["allow_keys"]),
            "deny_keys": _lines(data["deny_keys"]),
            **({"guard": data["guard"]} if data.get("guard") else {}),
        }

    @classmethod
    def for_state(cls, state) -> StateForm:
        return cls(initial={
            "environment": state.environment,
            "default_variant": state.default_variant,
            "rollout_percentage": state.rollout_percentage,
            "rules": json.dumps(state.rules, indent=1) if state.rules else "",
            "allow_keys": "\n".join(state.allow_keys),
            "deny_keys": "\n".join(state.deny_keys),
            "guard": state.guard,
        }, auto_id=f"id_{state.environment}_%s")  # one form per environment on a page: unique ids


class TriggerForm(forms.Form):
    environment = forms.CharField(max_length=64)
    label = forms.CharField(max_length=100, required=False)


class SdkKeyForm(forms.Form):
    environment = forms.CharField(max_length=64)
    kind = forms.ChoiceField(choices=SdkKeyKind.choices)
    label = forms.CharField(max_length=100, required=False)
