"""Browser tests: the fixtures live in tests/web/browser.py."""

from tests.web.browser import (  # noqa: F401
    browser,
    page,
    pages,
    playwright_instance,
    server,
    server_factory,
)
