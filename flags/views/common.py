"""What the dashboard's flag views share: the redirect back to a flag's page, and a form's errors
as the one line a refused change reports."""

from django.shortcuts import redirect


def to_detail(flag):
    return redirect("flags:flag_detail", project_id=flag.project_id, key=flag.key)


def form_errors(form) -> str:
    return " ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
