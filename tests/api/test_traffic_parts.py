"""The traffic guard's parts: sources behind trusted proxies, bot patterns, tracking hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from promovolve.api.traffic_guard.bots import BotMatcher
from promovolve.api.traffic_guard.hosts import TrackingBase
from promovolve.api.traffic_guard.sources import SourceHasher, parse_networks
from promovolve.settings import Settings, SettingsError

SECRET = b"k" * 32
DAY = 86400.0


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    hasher = SourceHasher(SECRET, parse_networks(["10.0.0.0/8"]))
    assert hasher.client_address("192.0.2.5", "203.0.113.1") == "192.0.2.5"
    assert hasher.client_address("10.1.2.3", "203.0.113.1") == "203.0.113.1"
    # The client's own (forged) entries come first; the proxies appended the rest.
    assert hasher.client_address("10.1.2.3", "1.1.1.1, 203.0.113.1, 10.9.9.9") == "203.0.113.1"
    assert SourceHasher(SECRET).client_address("10.1.2.3", "203.0.113.1") == "10.1.2.3"


def test_a_source_is_a_hash_that_changes_every_day_and_holds_no_address():
    hasher = SourceHasher(SECRET)
    today = hasher.source("203.0.113.1", 5 * DAY + 10)
    assert today == hasher.source("203.0.113.1", 5 * DAY + 80000)
    assert today != hasher.source("203.0.113.2", 5 * DAY + 10)
    assert today != hasher.source("203.0.113.1", 6 * DAY + 10)
    assert "203" not in today and len(today) == 16
    assert today == SourceHasher(SECRET).source("203.0.113.1", 5 * DAY)  # every process


def test_bots_by_user_agent_from_the_shipped_list_or_a_file(tmp_path: Path):
    bots = BotMatcher.load()
    assert bots.is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    assert bots.is_bot("curl/8.5.0")
    assert not bots.is_bot("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0")
    assert not bots.is_bot(None)
    custom = tmp_path / "bots.txt"
    custom.write_text("# ours\nacme-crawler\n", encoding="utf-8")
    mine = BotMatcher.load(custom)
    assert mine.is_bot("ACME-Crawler/1.0") and not mine.is_bot("curl/8.5.0")


def _scope(host: bytes) -> dict[str, object]:
    return {"type": "http", "scheme": "https", "headers": [(b"host", host)], "root_path": ""}


def test_tracking_urls_never_take_an_unknown_host_header():
    base = TrackingBase(None, ["ads.example.com"], "http://127.0.0.1:8080")
    assert base.base_url(_scope(b"ads.example.com")) == "https://ads.example.com"
    assert base.base_url(_scope(b"ads.example.com:8443")) == "https://ads.example.com:8443"
    assert base.base_url(_scope(b"evil.example")) == "http://127.0.0.1:8080"
    public = TrackingBase("https://t.example/", ["ads.example.com"], "http://x")
    assert public.base_url(_scope(b"ads.example.com")) == "https://t.example"


def test_bad_guard_settings_stop_the_start(tmp_path: Path):
    with pytest.raises(SettingsError, match="trusted_proxies"):
        Settings.from_env(trusted_proxies="10.0.0.0/8,not-an-address")
    with pytest.raises(SettingsError, match="bot_patterns_file"):
        Settings.from_env(bot_patterns_file=tmp_path / "missing.txt")
    with pytest.raises(SettingsError, match="rate_limit"):
        Settings.from_env(rate_limit=-1)


def test_guard_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    defaults = Settings.from_env()
    assert defaults.rate_limit == 20 and defaults.trusted_proxies == ""
    assert defaults.request_timeout_seconds == 5 and defaults.keep_alive_seconds == 5
    assert defaults.max_connections == 4096 and defaults.blocklist_max == 10_000
    monkeypatch.setenv("PROMOVOLVE_RATE_LIMIT", "0")
    monkeypatch.setenv("PROMOVOLVE_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    monkeypatch.setenv("PROMOVOLVE_REQUEST_TIMEOUT", "2.5")
    monkeypatch.setenv("PROMOVOLVE_KEEP_ALIVE", "3")
    monkeypatch.setenv("PROMOVOLVE_MAX_CONNECTIONS", "100")
    monkeypatch.setenv("PROMOVOLVE_ALLOWED_HOSTS", "ads.example.com")
    settings = Settings.from_env()
    assert settings.rate_limit == 0 and settings.request_timeout_seconds == 2.5
    assert settings.keep_alive_seconds == 3 and settings.max_connections == 100
    assert settings.allowed_hosts == "ads.example.com"
