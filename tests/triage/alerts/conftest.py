import pytest

from triage.alerts import rules


@pytest.fixture(autouse=True)
def _fresh_rules():
    """Each test sees the rules it made: the per-process copy is forgotten before and after."""
    rules.forget_cached_rules()
    yield
    rules.forget_cached_rules()


@pytest.fixture
def queued(monkeypatch):
    """The delivery ids handed to Celery, in order, instead of a broker."""
    from triage.tasks import deliver_alert

    ids: list[int] = []
    monkeypatch.setattr(deliver_alert, "delay", ids.append)
    return ids
