import uuid

import pytest
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider


@pytest.fixture
def ofrep_client(live_stack):
    """An OpenFeature client of its own domain, pointed at the live server with a swappable key."""
    domain = f"switchyard-{uuid.uuid4().hex[:8]}"
    holder = {"key": ""}
    api.set_provider(OFREPProvider(live_stack.url, headers_factory=lambda: {"Authorization": f"Bearer {holder['key']}"},
                                   timeout=5), domain)
    client = api.get_client(domain)
    client.use_key = lambda key: holder.update(key=key)
    yield client
    api.clear_providers()
