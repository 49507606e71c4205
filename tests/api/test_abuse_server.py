"""Done-when of invalid traffic, against a real `promovolve serve` process (the same code
as `python -m benchmarks.flood` and `python -m benchmarks.stalled`, shorter).

- one source flooding /v1/serve and firing every impression URL it got at once moves no
  settled spend, and its reservations are released; a reader beside it at a normal rate
  gets every ad and every viewable impression; a bot gets no paid ad;
- 5,000 stalled connections leave /healthz answering within a second, and the server
  closes them all within 30 s.
"""

from __future__ import annotations

from benchmarks import flood, stalled


def test_a_flood_moves_no_settled_spend_and_a_reader_is_unaffected():
    report = flood.run(seconds=3.0)
    assert report.flood_serves > 10 * report.flood_selected  # the cap bit
    assert report.flood_selected > 0 and report.flood_beacons_fired == report.flood_selected
    assert report.flood_settled_usd == 0
    assert report.reserved_usd_after == 0  # the flood's reservations were released
    assert report.reader_serves > 0
    assert report.reader_selected == report.reader_serves
    assert report.reader_beacons_counted == report.reader_selected
    assert report.settled_usd == report.reader_settled_usd > 0
    assert report.bot_selected == 0
    assert report.invalid["serves"]["bot"] == 1
    assert report.invalid["serves"]["overCap"] > 0
    assert report.invalid["impressions"]["overCap"] == report.flood_selected


def test_stalled_connections_cannot_take_the_server_down():
    report = stalled.run(connections=5000, wait_seconds=30.0)
    assert report.opened == 5000
    assert report.healthz_failures == 0
    assert report.healthz_max_seconds is not None and report.healthz_max_seconds < 1.0
    assert report.closed_by_server == 5000
    assert report.last_closed_after_seconds is not None
    assert report.last_closed_after_seconds <= 30.0


def test_past_its_connection_cap_the_server_drops_the_longest_waiting():
    report = stalled.run(connections=3000, wait_seconds=30.0, max_connections=500)
    assert report.healthz_failures == 0
    assert report.healthz_max_seconds is not None and report.healthz_max_seconds < 1.0
    assert report.closed_by_server == report.opened
