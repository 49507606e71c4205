"""Browser tests: the fixtures live in tests/web/browser.py; the in-process API harness
is the API suite's."""

from tests.api.conftest import api, settings  # noqa: F401
from tests.web.browser import (  # noqa: F401
    browser,
    page,
    pages,
    playwright_instance,
    server,
    server_factory,
)
