"""The per-request trace CSV: exact format, round trip and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promovolve.sim.trace import OUTCOMES, TraceError, TraceRow, TraceWriter, read_trace


def test_writes_header_and_rows_in_the_contract_format(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    with TraceWriter(path) as trace:
        trace.write(0.5, 1, "selected", "adv-1-camp-2", 5000, "lab-site")
        trace.write(1.0000004, 1, "pacingSkipped", None, None, "news-a")
        trace.write(700.25, 2, "noCandidates", None, None, "lab-site")
    assert trace.rows == 3
    assert path.read_text(encoding="utf-8") == (
        "t,day,outcome,campaignId,priceMicros,siteId\n"
        "0.500000,1,selected,adv-1-camp-2,5000,lab-site\n"
        "1.000000,1,pacingSkipped,,,news-a\n"
        "700.250000,2,noCandidates,,,lab-site\n"
    )


def test_read_trace_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    with TraceWriter(str(path)) as trace:
        trace.write(12.345678, 3, "selected", "adv-2-camp-1", 2500, "s1")
        trace.write(13.0, 3, "budgetExhausted", None, None, "s2")
        trace.write(14.0, 3, "warmup", None, None, "s1")
    assert list(read_trace(path)) == [
        TraceRow(12.345678, 3, "selected", "adv-2-camp-1", 2500, "s1"),
        TraceRow(13.0, 3, "budgetExhausted", None, None, "s2"),
        TraceRow(14.0, 3, "warmup", None, None, "s1"),
    ]


def test_a_trace_from_before_the_site_column_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(
        "t,day,outcome,campaignId,priceMicros\n1.5,1,selected,adv-1-camp-1,5000\n2.0,1,warmup,,\n",
        encoding="utf-8",
    )
    assert list(read_trace(path)) == [
        TraceRow(1.5, 1, "selected", "adv-1-camp-1", 5000, None),
        TraceRow(2.0, 1, "warmup", None, None, None),
    ]
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("t,day,outcome,campaignId,priceMicros\n1.5,1,warmup,,,s1\n", encoding="utf-8")
    with pytest.raises(TraceError, match=":2:"):
        list(read_trace(mixed))


def test_empty_trace_has_only_the_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    with TraceWriter(path):
        pass
    assert path.read_text(encoding="utf-8") == "t,day,outcome,campaignId,priceMicros,siteId\n"
    assert list(read_trace(path)) == []


def test_writer_refuses_bad_rows_and_use_when_closed(tmp_path: Path) -> None:
    writer = TraceWriter(tmp_path / "t.csv")
    with pytest.raises(TraceError):
        writer.write(0.0, 1, "selected", "x", 1, "s")  # not open yet
    with writer as trace:
        with pytest.raises(TraceError):
            trace.write(0.0, 1, "served", None, None, "s")
        with pytest.raises(TraceError):
            trace.write(0.0, 1, "selected", "bad,id", 1, "s")
        with pytest.raises(TraceError):
            trace.write(0.0, 1, "warmup", None, None, "bad\nsite")
        with pytest.raises(TraceError):
            trace.open()
    with pytest.raises(TraceError):
        writer.write(0.0, 1, "selected", "x", 1, "s")


def test_file_is_closed_even_when_the_run_fails(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    with pytest.raises(RuntimeError), TraceWriter(path) as trace:
        trace.write(1.0, 1, "selected", "adv-1-camp-1", 10, "s")
        raise RuntimeError("boom")
    assert list(read_trace(path)) == [TraceRow(1.0, 1, "selected", "adv-1-camp-1", 10, "s")]


def test_read_trace_rejects_foreign_files(tmp_path: Path) -> None:
    wrong_header = tmp_path / "a.csv"
    wrong_header.write_text("time,day\n1,1\n", encoding="utf-8")
    with pytest.raises(TraceError):
        list(read_trace(wrong_header))
    short_row = tmp_path / "b.csv"
    short_row.write_text("t,day,outcome,campaignId,priceMicros\n1.0,1\n", encoding="utf-8")
    with pytest.raises(TraceError, match=":2:"):
        list(read_trace(short_row))
    bad_number = tmp_path / "c.csv"
    bad_number.write_text("t,day,outcome,campaignId,priceMicros\nx,1,warmup,,\n", encoding="utf-8")
    with pytest.raises(TraceError):
        list(read_trace(bad_number))


rows = st.lists(
    st.tuples(
        st.floats(0.0, 1e7, allow_nan=False),
        st.integers(1, 10000),
        st.sampled_from(sorted(OUTCOMES)),
        st.integers(1, 50),
        st.integers(0, 10**9),
    ),
    max_size=30,
)


@settings(deadline=None, max_examples=50)
@given(rows)
def test_round_trip_keeps_rows_to_a_microsecond(
    tmp_path_factory: pytest.TempPathFactory,
    data: list[tuple[float, int, str, int, int]],
) -> None:
    path = tmp_path_factory.mktemp("trace") / "t.csv"
    with TraceWriter(path) as trace:
        for t, day, outcome, campaign, price in data:
            selected = outcome == "selected"
            trace.write(
                t,
                day,
                outcome,
                f"adv-{campaign}-camp-1" if selected else None,
                price if selected else None,
                f"site-{campaign % 3}",
            )
    back = list(read_trace(path))
    assert len(back) == len(data)
    for row, (t, day, outcome, campaign, price) in zip(back, data, strict=True):
        assert abs(row.t - t) <= 5e-7
        assert (row.day, row.outcome, row.site_id) == (day, outcome, f"site-{campaign % 3}")
        if outcome == "selected":
            assert (row.campaign_id, row.price_micros) == (f"adv-{campaign}-camp-1", price)
        else:
            assert (row.campaign_id, row.price_micros) == (None, None)
