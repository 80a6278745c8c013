import pytest
import redis
from django.conf import settings

from tests.factories import make_project, make_user

pytest_plugins = ["flags.testing"]  # the flag_override fixture, for any test


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API holds an event loop on the main thread for the
    rest of the session (the `browser` fixture), and a test after it that calls an ASGI app through
    async_to_sync would find that loop running."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def _collected_static_files():
    """Pages name hashed static files (config.staticfiles): collect them once a run, if changed."""
    from config.staticfiles import ensure_collected

    ensure_collected()


@pytest.fixture
def alice(db):
    """Owner of the `project` fixture."""
    return make_user("alice")


@pytest.fixture
def bob(db):
    """A member of Alice's project."""
    return make_user("bob")


@pytest.fixture
def charlie(db):
    """Has an account but no access to Alice's project."""
    return make_user("charlie")


@pytest.fixture
def project(alice, bob):
    return make_project("shop", members=[alice, bob])


# Everything Switchyard writes to Redis: streams and counters ({switchyard}:…), and the Django
# cache and flag configuration (switchyard:…). Celery's broker keys are not ours to delete.
OWN_KEYS = ("{switchyard}:*", "{switchyard:p*}:*", "switchyard:*")  # partition 0's tag, the others', untagged


def delete_own_keys(client) -> None:
    """The one clean-up: deletes Switchyard's keys, never the whole database (FLUSHDB), which a
    live worker's broker connection shares."""
    for pattern in OWN_KEYS:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def _own_redis_keys(request):
    """Tests that use the database start and end with none of Switchyard's Redis keys: hot
    counters and cached pages are keyed by ids that the next test's database hands out again.
    Pure tests (no database) never touch Redis, so they get no Redis at all."""
    if request.node.get_closest_marker("django_db") is None and not {"db", "transactional_db"} & set(request.fixturenames):
        yield
        return
    client = redis.Redis.from_url(settings.REDIS_URL)
    delete_own_keys(client)
    yield
    delete_own_keys(client)


@pytest.fixture
def redis_client():
    """The real Redis of this run (CI's server or the embedded one), without Switchyard's keys
    before and after the test (a test without the database gets this clean-up here)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    delete_own_keys(client)
    yield client
    delete_own_keys(client)


@pytest.fixture
def tunables(settings):
    """A private copy of settings.SWITCHYARD that a test may change."""
    settings.SWITCHYARD = dict(settings.SWITCHYARD)
    return settings.SWITCHYARD


@pytest.fixture(scope="session")
def live_server_process(django_db_setup, django_db_blocker):
    """uvicorn serving config.asgi on a free port, on the test database (session-wide)."""
    from tests.live import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def live_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker with the stream consumers, on the test database and Redis."""
    from tests.live import LiveWorker

    with django_db_blocker.unblock():
        worker = LiveWorker()
    yield worker
    worker.stop()


@pytest.fixture
def live_stack(transactional_db, live_server_process, live_worker_process):
    """Server and worker, with the test's data committed so both processes see it."""
    return live_server_process


@pytest.fixture
def beat(live_stack, tmp_path):
    """A real `celery beat` sending the periodic tasks (config.settings CELERY_BEAT_SCHEDULE) to
    the live worker."""
    from config.processes import beat_command
    from tests.live import Process, child_env

    process = Process(beat_command("--schedule", str(tmp_path / "schedule"), "--loglevel=INFO"), child_env(), "beat")
    yield process
    process.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (`playwright install` cannot download here)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the test's own ORM calls are
    # still plain synchronous code, so Django's async-safety guard does not apply to them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # CI shares 2 cores between chromium, server, worker and databases
    yield page
    context.close()


@pytest.fixture
def login(live_stack):
    """Logs a user in through the real login form: login(page, user)."""

    def do_login(page, user, password=None):
        page.goto(live_stack.url + "/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password or "pw-" + user.username)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    return do_login
