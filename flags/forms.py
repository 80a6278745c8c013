"""Dashboard forms. They only shape input; the rules live in flags.validation and flags.changes."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import get_user_model

from flags.models import FlagKind, GuardMode, SdkKeyKind, ValueType


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _json_field(text: str, empty):
    text = text.strip()
    try:
        return json.loads(text) if text else empty
    except ValueError as exc:
        raise forms.ValidationError(f"not valid JSON: {exc}") from None


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
    weights = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                              help_text='JSON {"variant": percent}, adding up to 100, e.g. {"a": 45, "b": 45, "c": 10}: '
                                        "splits the users in the rollout. Empty: they all get the default variant.")
    rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                            help_text='JSON list: [{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}], "variant": "on"}]')
    allow_keys = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One targeting key a line")
    deny_keys = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="One targeting key a line")
    guard = forms.ChoiceField(choices=GuardMode.choices, initial=GuardMode.OFF, required=False,
                              help_text="When a spike is pinned on this flag here: do nothing, alert only, or disable it.")
    reason = forms.CharField(max_length=1000, required=False)

    def clean_rules(self):
        return _json_field(self.cleaned_data["rules"], [])

    def clean_weights(self):
        return _json_field(self.cleaned_data["weights"], {})

    def state(self) -> dict:
        data = self.cleaned_data
        return {
            "default_variant": data["default_variant"],
            "rollout_percentage": data["rollout_percentage"],
            "weights": data["weights"],
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
            "weights": json.dumps(state.weights) if state.weights else "",
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


class PrerequisitesForm(forms.Form):
    prerequisites = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text="One a line: the flag key, a colon, the variants it must serve (new-checkout: on). Empty: none.")
    reason = forms.CharField(max_length=1000, required=False)

    def clean_prerequisites(self) -> list[dict]:
        found = []
        for line in _lines(self.cleaned_data["prerequisites"]):
            key, colon, variants = line.partition(":")
            names = [v.strip() for v in variants.split(",") if v.strip()]
            if not colon or not key.strip() or not names:
                raise forms.ValidationError(f"{line!r}: write flag-key: variant[, variant]")
            found.append({"key": key.strip(), "variants": names})
        return found

    @staticmethod
    def text_of(prerequisites: list[dict]) -> str:
        return "\n".join(f"{p['key']}: {', '.join(p['variants'])}" for p in prerequisites)


class ScheduleForm(forms.Form):
    """A progressive rollout (percentages, one step every N minutes), or, without percentages,
    "turn it on at" a time."""

    environment = forms.CharField(max_length=64)
    start_at = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    percentages = forms.CharField(max_length=200, required=False,
                                  help_text="e.g. 1, 5, 25, 100; empty: turn it on at that time")
    every_minutes = forms.IntegerField(min_value=1, max_value=90 * 24 * 60, initial=60, required=False)
    reason = forms.CharField(max_length=1000)

    def clean_percentages(self) -> list[float]:
        text = self.cleaned_data["percentages"].replace("%", "")
        try:
            return [float(p) for p in text.replace(";", ",").split(",") if p.strip()]
        except ValueError:
            raise forms.ValidationError("percentages are numbers separated by commas") from None

    def steps(self) -> list[dict]:
        from flags.schedules import progressive_steps

        data = self.cleaned_data
        if not data["percentages"]:
            return [{"changes": {"enabled": True}, "wait_minutes": 0}]
        return progressive_steps([int(p) if p == int(p) else p for p in data["percentages"]], data["every_minutes"] or 60)


class SegmentForm(forms.Form):
    key = forms.CharField(max_length=64, required=False, help_text="e.g. beta-testers (fixed once created)")
    name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    included = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                               help_text="Targeting keys always in, one a line")
    excluded = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                               help_text="Targeting keys never in (wins), one a line")
    rules = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                            help_text='JSON list; a context is in when any rule\'s conditions all hold: '
                                      '[{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro"]}]}]')
    reason = forms.CharField(max_length=1000, required=False)

    def clean_rules(self):
        return _json_field(self.cleaned_data["rules"], [])

    def fields_of(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "description": data["description"], "included": _lines(data["included"]),
                "excluded": _lines(data["excluded"]), "rules": data["rules"]}

    @classmethod
    def for_segment(cls, segment) -> SegmentForm:
        return cls(initial={"key": segment.key, "name": segment.name, "description": segment.description,
                            "included": "\n".join(segment.included), "excluded": "\n".join(segment.excluded),
                            "rules": json.dumps(segment.rules, indent=1) if segment.rules else ""})


class ReviewForm(forms.Form):
    comment = forms.CharField(max_length=1000, required=False)


class PolicyForm(forms.Form):
    environments = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                             help_text="Enabling or widening a flag here needs a second member's approval.")
    reason = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args, environments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["environments"].choices = [(e, e) for e in environments]
