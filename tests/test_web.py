"""The web app in-process (Starlette's TestClient): security and what the pages say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_support import HOSTILE_TITLE, Review, make_review

from review.cli import main
from review.decisions import DecisionStore
from review.formats import read_records, write_records
from review.protocol import load_protocol
from review.rank import RecordRanker
from review.records import Record, Source
from review.screen import SKIP_HELP, Decision, screen_records, skipped_text
from review.web import ServeConfig, create_app
from review.web.views import highlight, record_links

URL = "http://127.0.0.1"


def config(review: Review, **more: object) -> ServeConfig:
    protocol = load_protocol(review.protocol)
    records = read_records(review.records).records
    return ServeConfig(
        protocol=protocol,
        records=records,
        rule_decisions=screen_records(records, protocol.criteria),
        report_dir=review.folder / "reports",
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture
def review(tmp_path: Path) -> Review:
    return make_review(tmp_path / "data", count=3)


@pytest.fixture
def client(review: Review) -> TestClient:
    return TestClient(create_app(config(review)), base_url=URL)


def csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, name: str = "ann") -> None:
    answer = client.post("/login", data={"csrf": csrf(client), "name": name})
    assert answer.status_code == 200, answer.text  # followed to the dashboard


def stored(review: Review) -> int:
    with DecisionStore.for_protocol(load_protocol(review.protocol)) as store:
        return len(store.current())


def test_a_decision_is_stored_before_the_page_says_saved(
    client: TestClient, review: Review
) -> None:
    sign_in(client)
    token = csrf(client, "/screen/title-abstract")
    answer = client.post(
        "/screen/title-abstract/decide",
        data={"csrf": token, "record_id": "r0", "choice": "exclude:not-kratom"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert stored(review) == 1  # before the browser even asks for the page saying so
    page = client.get(answer.headers["location"]).text
    assert "Saved r0" in page
    assert "exclude — not-kratom: Not about kratom" in page


@pytest.mark.parametrize(
    ("form", "headers"),
    [
        ({"record_id": "r0", "choice": "include"}, {}),
        ({"record_id": "r0", "choice": "include", "csrf": "forged"}, {}),
        ({"record_id": "r0", "choice": "include", "csrf": "GOOD"}, {"origin": "http://evil.test"}),
    ],
)
def test_a_post_without_its_token_or_from_another_site_stores_nothing(
    client: TestClient, review: Review, form: dict[str, str], headers: dict[str, str]
) -> None:
    sign_in(client)
    token = csrf(client, "/screen/title-abstract")
    form = {k: token if v == "GOOD" else v for k, v in form.items()}
    answer = client.post("/screen/title-abstract/decide", data=form, headers=headers)
    assert answer.status_code == 403
    assert stored(review) == 0


def test_only_this_machines_host_names_are_served(client: TestClient) -> None:
    # A page of another site resolving its own name to 127.0.0.1 (DNS rebinding).
    assert client.get("/login", headers={"host": "evil.test"}).status_code == 400
    assert client.get("/login", headers={"host": "localhost:8765"}).status_code == 200


def test_beyond_loopback_every_page_needs_a_reviewers_token(review: Review) -> None:
    app = create_app(config(review, tokens=(("s3cret-token", "ann"),), allowed_hosts=("*",)))
    client = TestClient(app, base_url="http://review.example")
    for path in ("/", "/dashboard", "/screen/title-abstract", "/conflicts", "/report/x"):
        assert client.get(path).status_code == 401, path
    assert client.get("/login?token=guess").status_code == 401
    answer = client.get("/login?token=s3cret-token")
    assert answer.status_code == 200
    assert '<span class="who">ann</span>' in answer.text


def test_names_reserved_by_the_store_are_refused(client: TestClient, review: Review) -> None:
    answer = client.post("/login", data={"csrf": csrf(client), "name": "conflict"})
    assert answer.status_code == 400
    assert "is reserved" in answer.text


def test_record_text_is_escaped_on_every_page(client: TestClient, review: Review) -> None:
    sign_in(client)
    hostile = review.ids[-1]
    page = client.get(f"/screen/title-abstract?record={hostile}").text
    assert "<script>window.pwned" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert "javascript:" not in page
    assert "Kratom &lt;b&gt;web&lt;/b&gt; test" in client.get("/dashboard").text


def test_report_files_stay_inside_the_report_folder(client: TestClient, review: Review) -> None:
    sign_in(client)
    (review.folder / "reports").mkdir()
    (review.folder / "reports" / "report.html").write_text("<p>the report</p>")
    (review.folder / "secret.txt").write_text("not for the web")
    assert client.get("/report/report.html").text == "<p>the report</p>"
    assert client.get("/report/..%2Fsecret.txt").status_code == 404
    assert client.get("/report/../secret.txt").status_code in (404, 401)


def test_highlight_cuts_text_at_the_rules_own_matches(review: Review) -> None:
    criteria = load_protocol(review.protocol).criteria
    segments = highlight("Kratom and mitragynine <b>", criteria, "title")
    assert [(s.text, s.mark) for s in segments] == [
        ("Kratom", "c0"),
        (" and ", ""),
        ("mitragynine", "c0"),
        (" <b>", ""),
    ]


def test_only_web_addresses_become_links(tmp_path: Path) -> None:
    records = read_records(make_review(tmp_path, count=1).records).records
    assert [link.label for link in record_links(records[0])] == ["PubMed"]
    assert records[0].title == HOSTILE_TITLE


def test_serving_beyond_loopback_needs_named_reviewers(
    review: Review, capsys: pytest.CaptureFixture[str]
) -> None:
    from review import cli

    assert cli.main(["serve", *review.serve_args(), "--host", "0.0.0.0"]) == 1
    assert "name who may screen with --reviewers" in capsys.readouterr().err


def test_full_text_stage_takes_what_was_included_and_counts_reports(
    client: TestClient, review: Review
) -> None:
    sign_in(client)
    token = csrf(client, "/screen/title-abstract")
    for rid in ("r0", "r1"):
        client.post(
            "/screen/title-abstract/decide",
            data={"csrf": token, "record_id": rid, "choice": "include"},
        )
    page = client.get("/screen/full-text").text
    assert 'data-record-id="r0"' in page
    assert 'value="not-retrieved" data-key="r"' in page
    client.post(
        "/screen/full-text/decide",
        data={"csrf": token, "record_id": "r0", "choice": "not-retrieved"},
    )
    answer = client.post(
        "/screen/full-text/decide",
        data={"csrf": token, "record_id": "r1", "choice": "exclude:wrong-design"},
    )
    assert "Saved r1" in answer.text
    said = " ".join(answer.text.split())
    assert "reports sought 2, not retrieved 1, awaiting assessment 0, assessed 1:" in said
    dashboard = " ".join(client.get("/dashboard").text.split())
    assert "2 reports sought, 1 not retrieved, 0 awaiting assessment, 1 assessed" in dashboard
    assert "Not a study design the review includes: 1" in dashboard


def test_the_web_queue_is_the_terminal_queue_from_one_ranker_taught_each_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import review.web.app as web_app
    from review.screener import queue_ranker, screening_queue

    review = make_review(tmp_path / "data", count=3)
    topics = ["Hip surgery outcomes", "Kratom withdrawal and kratom dependence", "Statins"]
    records = [
        Record(id=f"s{n}", source=Source("test", file="records.jsonl", position=n), title=t)
        for n, t in enumerate(topics * 3)
    ]
    write_records(records, review.records)
    built = []

    def counted(*args: object, **kwargs: object) -> RecordRanker:
        built.append(1)
        return queue_ranker(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(web_app, "queue_ranker", counted)
    app = create_app(config(review))
    client = TestClient(app, base_url=URL)
    sign_in(client)

    def terminal_queue() -> list[str]:
        protocol = load_protocol(review.protocol)
        rules = screen_records(records, protocol.criteria)
        with DecisionStore.for_protocol(protocol) as store:
            queue = screening_queue(
                records, rules, store, "ann", "title-abstract", protocol=protocol
            )
        return [r.id for r in queue]

    def shown() -> str:
        page = client.get("/screen/title-abstract").text
        found = re.search(r'data-record-id="([^"]+)"', page)
        assert found is not None
        return found.group(1)

    assert shown() == terminal_queue()[0] == "s1"  # the kratom record, by the protocol
    for record_id, choice in (("s1", "include"), ("s0", "exclude:not-kratom")):
        token = csrf(client, "/screen/title-abstract")
        client.post(
            "/screen/title-abstract/decide",
            data={"csrf": token, "record_id": record_id, "choice": choice},
        )
    ranker = app.state.pages.held_ranker
    ranker.settle()  # the refit runs in the background; a person sees it a moment later
    page = client.get("/screen/title-abstract").text
    assert "ranked by a model learned from 2 decisions" in page
    assert "weighed most: kratom" in page
    assert "Stopping rule not met" in page
    assert shown() == terminal_queue()[0] == "s4"
    # The page asks for its relevance line again while a refit is under way: the
    # answer is the latest finished ranking's line and how far behind it still is.
    assert 'data-url="/screen/title-abstract/ranking?record=s4"' in page
    answer = client.get("/screen/title-abstract/ranking?record=s4").json()
    assert answer["lag"] == 0
    assert answer["ranking"].startswith("Relevance ")
    assert "(ranked by a model learned from 2 decisions); weighed most: " in answer["ranking"]
    stranger = TestClient(app, base_url=URL)
    assert stranger.get("/screen/title-abstract/ranking?record=s4").status_code == 401
    assert built == [1]  # one ranker for the server's life, not one per page
    ranker.close()


def test_queue_conflicts_and_resolution_count_per_duplicate_group(review: Review) -> None:
    # r1 is a copy of r0 (one duplicate group, main copy r0), as `review run` links them:
    # the app serves the main copies, and a decision on either copy decides the record.
    from review.identity import Groups

    protocol = load_protocol(review.protocol)
    every = read_records(review.records).records
    served = tuple(r for r in every if r.id != "r1")
    groups = Groups(mains={"r0": "r0", "r1": "r0", "r2": "r2"}, records=every)
    with DecisionStore.for_protocol(protocol) as store:
        store.add(Decision("r1", "title-abstract", "include", by="bob"))
    app = create_app(
        ServeConfig(
            protocol=protocol,
            records=served,
            rule_decisions=screen_records(served, protocol.criteria),
            report_dir=review.folder / "reports",
            groups=groups,
        )
    )
    ann = TestClient(app, base_url=URL)
    sign_in(ann, "bob")
    page = ann.get("/screen/title-abstract").text
    assert 'data-record-id="r2"' in page and 'data-record-id="r0"' not in page  # decided
    sign_in(ann, "ann")
    assert 'data-record-id="r0"' in ann.get("/screen/title-abstract").text
    token = csrf(ann, "/screen/title-abstract")
    ann.post(
        "/screen/title-abstract/decide",
        data={"csrf": token, "record_id": "r0", "choice": "exclude:not-kratom"},
    )
    # One conflict, for the group: ann excluded r0, bob included its copy r1.
    conflicts = ann.get("/conflicts").text
    assert conflicts.count('class="conflict"') == 1
    assert "bob (on its copy r1)" in conflicts and "include" in conflicts
    assert 'Conflicts <span class="badge">1</span>' in ann.get("/dashboard").text
    answer = ann.post(
        "/conflicts/resolve",
        data={"csrf": token, "record_id": "r0", "stage": "title-abstract", "choice": "include"},
    )
    assert answer.status_code == 200 and "Resolved r0" in answer.text
    assert 'id="no-conflicts"' in answer.text


def test_the_header_and_the_stopping_line_count_from_one_status(tmp_path: Path) -> None:
    """An unsure answer leaves a record in nobody's screened count but out of your
    queue, and another reviewer's decision screens a record still in yours: the page
    says both, and its review-wide counts are the stopping rule's own."""
    review = make_review(tmp_path / "data", count=12)
    app = create_app(config(review))
    ann = TestClient(app, base_url=URL)
    sign_in(ann, "ann")
    bob = TestClient(app, base_url=URL)
    sign_in(bob, "bob")

    def counts(client: TestClient) -> str:
        page = client.get("/screen/title-abstract").text
        header = re.search(r'<header class="progress".*?</header>', page, re.S)
        assert header is not None
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", header.group(0)))
        unscreened = re.search(r"everyone: \d+ of \d+ screened, (\d+) unscreened", text)
        stopping = re.search(r"among the (\d+) unscreened", text) or re.search(
            r"Nothing screened yet: (\d+) records", text
        )
        assert unscreened is not None and stopping is not None, text
        assert unscreened.group(1) == stopping.group(1), text  # one source
        return text

    text = counts(ann)
    assert "0 decided by you · 12 left in your queue (this is 1)" in text
    assert "everyone: 0 of 12 screened, 12 unscreened" in text
    for client, record_id, choice in (
        (ann, "r0", "include"),
        (ann, "r1", "exclude:not-kratom"),
        (ann, "r2", "unsure"),
        (bob, "r5", "exclude:not-kratom"),
    ):
        token = csrf(client, "/screen/title-abstract")
        client.post(
            "/screen/title-abstract/decide",
            data={"csrf": token, "record_id": record_id, "choice": choice},
        )
        counts(ann)
        counts(bob)
    text = counts(ann)
    assert "3 decided by you (1 unsure) · 9 left in your queue" in text
    assert "everyone: 3 of 12 screened, 9 unscreened" in text
    assert "at most 8 more among the 9 unscreened" in text
    text = counts(bob)
    assert "1 decided by you · 11 left in your queue" in text  # blind: ann's are still his
    assert "everyone: 3 of 12 screened, 9 unscreened" in text
    app.state.pages.close()


def test_a_record_without_journal_or_year_starts_its_citation_with_its_id(
    tmp_path: Path,
) -> None:
    review = make_review(tmp_path / "data", count=3)
    bare = Record(id="bare1", source=Source("test", file="records.jsonl"), title="Kratom notes")
    write_records([bare], review.records)
    client = TestClient(create_app(config(review)), base_url=URL)
    sign_in(client)
    page = client.get("/screen/title-abstract").text
    assert '<p class="citation"><span class="rid">bare1</span>' in page
    client.app.state.pages.close()  # type: ignore[attr-defined]


def test_the_dashboard_counts_the_rules_exclusions_as_the_report_does(tmp_path: Path) -> None:
    """Records the rules exclude are marked ineligible by automation, before screening
    (PRISMA 2020, as the report's diagram counts them), not screened and excluded."""
    import dataclasses

    review = make_review(tmp_path / "data", count=4)
    served = config(review)
    rules = tuple(
        dataclasses.replace(d, outcome="exclude", reason="not-kratom") if d.record_id == "r0" else d
        for d in served.rule_decisions
    )
    app = create_app(dataclasses.replace(served, rule_decisions=rules))
    client = TestClient(app, base_url=URL)
    sign_in(client)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", client.get("/dashboard").text))
    assert "1 marked ineligible by the protocol rules, before screening." in page
    assert "3 records screened: 0 included, 0 excluded, 3 for people to decide" in page
    app.state.pages.close()


def test_the_dashboard_names_exclusion_reasons_as_the_diagram_does(
    client: TestClient, review: Review
) -> None:
    """It listed them by code ("not-kratom: 1") beside a diagram that gives their text."""
    with DecisionStore.for_protocol(load_protocol(review.protocol)) as store:
        store.add(Decision("r0", "title-abstract", "exclude", "not-kratom", by="ann"))
    sign_in(client)
    page = client.get("/dashboard").text
    assert '<li title="not-kratom">Not about kratom: 1</li>' in page


@pytest.mark.parametrize(
    ("required", "said"),
    [
        (1, "One reviewer's decision settles a record."),
        (2, "This review needs 2 reviewers to agree on each record."),
    ],
)
def test_the_sign_in_page_says_how_many_reviewers_settle_a_record(
    tmp_path: Path, required: int, said: str
) -> None:
    """It said "needs 1 reviewer(s) to agree on each record"."""
    review = make_review(tmp_path / "data", count=3, required=required)
    page = TestClient(create_app(config(review)), base_url=URL).get("/login").text
    assert said in " ".join(page.split())
    assert "(s)" not in page


def test_serve_names_the_records_to_screen_as_the_other_commands_count_them(
    clone: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "Serving kratom (227 records)": the 217 to screen and the 10 the rules marked
    ineligible, beside a header and a `review run` that say 217 screened."""
    import review.web

    def stopped(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(review.web, "serve", stopped)
    assert main(["serve", "queries/kratom.toml", "--port", "0"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(
        "Serving kratom: 213 records to screen (10 more marked ineligible by the protocol "
        "rules) at http://127.0.0.1:"
    ), first


def test_a_skipped_record_comes_back_last_and_a_late_disagreement_is_saved(
    client: TestClient, review: Review
) -> None:
    """s skips a record for now, as in `review screen`. A second reviewer who disagrees
    on a record whose full text is decided is saved (before, the store refused it and
    the record blocked their queue): the record becomes a conflict to resolve."""
    with DecisionStore.for_protocol(load_protocol(review.protocol)) as store:
        store.add(Decision("r0", "title-abstract", "include", by="ann"))
        store.add(Decision("r0", "full-text", "include", by="ann"))

    def shown(page: str) -> str:
        found = re.search(r'data-record-id="([^"]+)"', page)
        assert found is not None
        return found.group(1)

    def post(action: str, record_id: str, choice: str = "") -> str:
        token = csrf(client, f"/screen/title-abstract?record={record_id}")
        answer = client.post(
            f"/screen/title-abstract/{action}",
            data={"csrf": token, "record_id": record_id, "choice": choice},
        )
        return answer.text

    sign_in(client, "bob")
    page = post("skip", "r0")
    assert skipped_text("r0") in page  # as `review screen` says it
    assert SKIP_HELP in " ".join(page.split())  # and the keys' help says what a skip is
    assert shown(page) != "r0" and stored(review) == 2  # a skip stores nothing
    page = post("decide", shown(page), "include")
    page = post("decide", shown(page), "include")
    assert shown(page) == "r0"  # only the skipped record is left: it is back
    page = post("decide", "r0", "exclude:not-kratom")
    assert "Saved r0" in page and "Not saved" not in page
    with DecisionStore.for_protocol(load_protocol(review.protocol)) as store:
        assert [c.record_id for c in store.conflicts("title-abstract")] == ["r0"]
    # The dashboard says, as `review decisions status` does, why ann's full text no
    # longer counts.
    dashboard = " ".join(client.get("/dashboard").text.split())
    assert "1 full-text decision waits, kept but not counted: its record is" in dashboard
