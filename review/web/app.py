"""The web app's routes: screening, full text, conflicts, agreement, dashboard.

Starlette routes as a plain list; each page reads the decisions store afresh
(in a worker thread, one connection per request), so two reviewers, the
terminal screener and this app can write at once and nobody sees stale state.
A decision is committed (`DecisionStore.add`, synchronous=FULL) before the
server answers with the redirect that shows "Saved"; a killed server or a
closed tab loses nothing the page ever called saved.

Security: Jinja2 autoescapes every template (record text is untrusted); every
POST carries a CSRF token equal to the `review_csrf` cookie (SameSite=Strict)
and a foreign Origin is refused; served on loopback only the Host names of
this machine are accepted (no DNS rebinding), and served beyond it every
request needs a reviewer's access token. The app writes only through the
`DecisionStore` and, on request, the report into `reports/<name>/`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, unquote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from review.decisions import AGREEMENT_RULE, RESERVED_NAMES, DecisionStore
from review.errors import DecisionError
from review.identity import CONFLICT, Groups
from review.pipeline import PreparedReview, RunSettings
from review.protocol import Protocol
from review.rank import RecordRanker
from review.records import Record
from review.screen import (
    SKIP_HELP,
    STAGES,
    Decision,
    Outcome,
    Stage,
    effective_decisions,
    full_text_counts,
    held_full_text,
    held_lines,
    skipped_text,
    title_abstract_counts,
)
from review.screener import people_decisions, queue_ranker, screening_queue, stop_status
from review.stopping import protocol_rule
from review.web.views import (
    REASON_KEYS,
    answer_text,
    previous_decided,
    record_page,
    stage_label,
)

__all__ = ["LOOPBACK_HOSTS", "ServeConfig", "create_app"]

HERE = Path(__file__).parent
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
CSRF_COOKIE = "review_csrf"
REVIEWER_COOKIE = "review_reviewer"
TOKEN_COOKIE = "review_token"
MAX_NAME = 60
MAX_NOTE = 4000
CHOICES: dict[str, Outcome] = {
    "include": "include",
    "exclude": "exclude",
    "unsure": "needs-human",
    "not-retrieved": "not-retrieved",
}
SECURITY_HEADERS = (
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
)


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """What one `review serve` serves.

    `tokens` maps access tokens to reviewers; empty means loopback use, where a
    reviewer gives a name. `prepared` (absent with `--records`) gives the dashboard
    its PRISMA diagram and lets the app write the report into `report_dir`.
    `groups`, the run's duplicate groups (`prepared.groups()` when not given), make
    decisions count per group, as in `review screen`, `review decisions` and the
    report: a decision on any copy decides the record, and copies decided
    differently are a conflict, resolved on the main copy.
    """

    protocol: Protocol
    records: tuple[Record, ...]
    rule_decisions: tuple[Decision, ...]
    report_dir: Path
    prepared: PreparedReview | None = None
    run_settings: RunSettings | None = None
    tokens: tuple[tuple[str, str], ...] = ()
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS
    groups: Groups | None = None


def create_app(config: ServeConfig) -> Starlette:
    pages = _Pages(config)
    routes = [
        Route("/", pages.home),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/dashboard", pages.dashboard),
        Route("/screen/{stage}", pages.screen),
        Route("/screen/{stage}/decide", pages.decide, methods=["POST"]),
        Route("/screen/{stage}/undo", pages.undo, methods=["POST"]),
        Route("/screen/{stage}/skip", pages.skip, methods=["POST"]),
        Route("/screen/{stage}/ranking", pages.ranking_now),
        Route("/conflicts", pages.conflicts),
        Route("/conflicts/resolve", pages.resolve, methods=["POST"]),
        Route("/agreement", pages.agreement),
        Route("/report/write", pages.write_report, methods=["POST"]),
        Route("/report/{path:path}", pages.report_file),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(_SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(config.allowed_hosts)),
    ]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        pages.close()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.pages = pages
    return app


class _SecurityHeaders:
    """Adds the CSP and friends to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


Handler = Callable[[Request], Awaitable[Response]]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Pages:
    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.protocol = config.protocol
        self.index = {r.id: r for r in config.records}
        self.rules = {d.record_id: d for d in config.rule_decisions}
        self.reasons = config.protocol.criteria.reason_codes()
        self.rule = protocol_rule(config.protocol)
        self.groups = config.groups
        if self.groups is None and config.prepared is not None:
            self.groups = config.prepared.groups()  # once: settling per request is cheap
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates = Jinja2Templates(env=env)
        self._ranker: RecordRanker | None = None
        self._ranker_lock = threading.Lock()
        # (reviewer, stage) -> records they skipped, shown again after the rest of their
        # queue (or when the server restarts), as `review screen` brings them back
        self._skipped: dict[tuple[str, str], set[str]] = {}

    @property
    def held_ranker(self) -> RecordRanker | None:
        """The ranker once the first screening page built it."""
        return self._ranker

    def close(self) -> None:
        with self._ranker_lock:
            if self._ranker is not None:
                self._ranker.close()

    # --- plumbing --------------------------------------------------------------------

    def ranker(self, store: DecisionStore) -> RecordRanker:
        """The one ranker this server holds, as `review screen` does (`queue_ranker`).

        Built at the first screening page (the features take a moment on large
        reviews), then kept: each request teaches it only the title/abstract
        decisions that changed since, whoever made them (another reviewer, the
        terminal screener), and the model is refit in its background thread.
        """
        with self._ranker_lock:
            if self._ranker is None:
                self._ranker = queue_ranker(
                    self.config.records, store, self.protocol, background=True, groups=self.groups
                )
            else:
                self._ranker.follow(people_decisions(store, self.groups))
            return self._ranker

    def teach(self, store: DecisionStore) -> None:
        """After a decision: the ranker learns it now, so its refit runs while the page loads."""
        with self._ranker_lock:
            if self._ranker is not None:
                self._ranker.follow(people_decisions(store, self.groups))

    def store(self) -> DecisionStore:
        return DecisionStore.for_protocol(self.protocol)

    def reviewer(self, request: Request) -> str:
        """Who is asking; "" when nobody has signed in (or the token is not valid)."""
        if self.config.tokens:
            given = request.cookies.get(TOKEN_COOKIE, "")
            for token, name in self.config.tokens:
                if given and hmac.compare_digest(given, token):
                    return name
            return ""
        name = unquote(request.cookies.get(REVIEWER_COOKIE, ""))
        return name if _name_problem(name) == "" else ""

    def page(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any],
        status: int = 200,
    ) -> Response:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        response = self.templates.TemplateResponse(
            request,
            template,
            {
                "protocol": self.protocol,
                "reviewer": self.reviewer(request),
                "csrf": token,
                "stage_label": stage_label,
                "open_conflicts": None,
                **context,
            },
            status_code=status,
        )
        if request.cookies.get(CSRF_COOKIE) != token:
            _cookie(response, CSRF_COOKIE, token)
        return response

    def open_conflicts(self, store: DecisionStore) -> int:
        return len(self.conflicting(store))

    def people(self, store: DecisionStore) -> tuple[Decision, ...]:
        """People's final decisions on the records served: per duplicate group, named by
        its main copy, with the run's groups (as `review run` counts them)."""
        if self.groups is not None:
            return self.groups.settle(store.final_decisions(), store.current(kind="resolution"))[0]
        return tuple(d for d in store.final_decisions() if d.record_id in self.index)

    def conflicting(self, store: DecisionStore) -> list[tuple[str, Stage, list[Decision]]]:
        """Unresolved conflicts as (record, stage, the answers that clash): reviewers who
        disagree on a record, or, with the run's groups, copies of one record decided
        differently (named by the group's main copy, as `review decisions conflicts`)."""
        if self.groups is None:
            return [
                (c.record_id, c.stage, list(c.decisions))
                for c in store.conflicts()
                if c.record_id in self.index
            ]
        found = []
        for d in self.people(store):
            if d.by != CONFLICT or d.record_id not in self.index:
                continue
            copies = set(self.groups.copies(d.record_id))
            answers = [c for c in store.current(d.stage) if c.record_id in copies]
            found.append((d.record_id, d.stage, answers))
        return found

    async def checked_form(self, request: Request) -> FormData:
        """The POSTed form, once its CSRF token and origin are checked."""
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise _Refused(403, "This form came from another site; nothing was stored.")
        form = await request.form()
        sent = str(form.get("csrf", ""))
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(sent, cookie):
            raise _Refused(
                403,
                "The page was out of date (its form token did not match); nothing was "
                "stored. Reload the page and decide again.",
            )
        return form

    def refused(self, request: Request, refusal: _Refused) -> Response:
        return self.page(request, "message.html", {"message": refusal.message}, refusal.status)

    async def posted(self, request: Request) -> tuple[str, FormData] | Response:
        """(reviewer, form) of a POST from a signed-in reviewer with a good CSRF token,
        or the response that refuses it."""
        reviewer = self.reviewer(request)
        if not reviewer:
            return self.to_login(request)
        try:
            form = await self.checked_form(request)
        except _Refused as refusal:
            return self.refused(request, refusal)
        return reviewer, form

    def message(self, request: Request, text: str, status: int) -> Response:
        return self.page(request, "message.html", {"message": text}, status)

    def to_login(self, request: Request) -> Response:
        if self.config.tokens:
            return self.page(
                request,
                "message.html",
                {
                    "message": "This review is served to other machines: open the link "
                    "`review serve` printed for you (it carries your access token)."
                },
                401,
            )
        return RedirectResponse("/login", status_code=303)

    # --- sign in ---------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        if not self.reviewer(request):
            return self.to_login(request)
        return RedirectResponse("/dashboard", status_code=303)

    async def login(self, request: Request) -> Response:
        if self.config.tokens:
            token = request.query_params.get("token", "")
            for known, _name in self.config.tokens:
                if token and hmac.compare_digest(token, known):
                    response = RedirectResponse("/dashboard", status_code=303)
                    _cookie(response, TOKEN_COOKIE, known)
                    return response
            return self.to_login(request)
        if request.method == "GET":
            return self.page(request, "login.html", {"problem": ""})
        try:
            form = await self.checked_form(request)
        except _Refused as refusal:
            return self.refused(request, refusal)
        name = " ".join(str(form.get("name", "")).split())
        problem = _name_problem(name)
        if problem:
            return self.page(request, "login.html", {"problem": problem, "name": name}, 400)
        response = RedirectResponse("/dashboard", status_code=303)
        _cookie(response, REVIEWER_COOKIE, quote(name, safe=""))
        return response

    async def logout(self, request: Request) -> Response:
        try:
            await self.checked_form(request)
        except _Refused as refusal:
            return self.refused(request, refusal)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(REVIEWER_COOKIE)
        response.delete_cookie(TOKEN_COOKIE)
        return response

    # --- screening -------------------------------------------------------------------

    async def screen(self, request: Request) -> Response:
        reviewer = self.reviewer(request)
        if not reviewer:
            return self.to_login(request)
        stage = _stage(request)
        if stage is None:
            return self.page(request, "message.html", {"message": "No such stage."}, 404)
        wanted = request.query_params.get("record", "")
        if wanted and wanted not in self.index:
            return self.page(
                request, "message.html", {"message": f"No record {wanted!r} here."}, 404
            )
        context = await run_in_threadpool(self.screen_context, reviewer, stage, wanted)
        said = request.query_params
        if said.get("saved") in self.index:
            context["said"] = self.saved_text(context, said["saved"])
        elif said.get("undone") in self.index:
            context["said"] = f"Undone: your decision on {said['undone']}; decide it again."
        elif said.get("nothing"):
            context["said"] = "Nothing to undo."
        elif said.get("skipped") in self.index:
            context["said"] = skipped_text(said["skipped"])
        return self.page(request, "screen.html", context)

    def screen_context(self, reviewer: str, stage: Stage, wanted: str) -> dict[str, Any]:
        records, rules = self.config.records, self.config.rule_decisions
        with self.store() as store:
            # The one queue order (review.screener), by the server's one ranker.
            ranker = self.ranker(store)
            queue = screening_queue(
                records, rules, store, reviewer, stage, ranker=ranker, groups=self.groups
            )
            mine = [d for d in store.current(stage, reviewer) if d.record_id in self.index]
            effective = self.effective(store)
            crossings = self.open_conflicts(store)
            # The header's review-wide counts and the stopping line: one status.
            stop = (
                stop_status(records, rules, store, self.rule, groups=self.groups)
                if stage == "title-abstract"
                else None
            )
        record = self.index[wanted] if wanted else self.first_unskipped(reviewer, stage, queue)
        lag = ranker.lag
        ranking = _ranking_line(ranker, record.id) if record is not None else ""
        order = [d.record_id for d in mine]
        by_record = {d.record_id: d for d in mine}
        shown = (
            record_page(record, self.protocol.criteria, self.rules.get(record.id))
            if record
            else None
        )
        mine_now = by_record.get(record.id) if record else None
        return {
            "stage": stage,
            "record": shown,
            "mine": answer_text(mine_now, self.protocol.criteria) if mine_now else "",
            "mine_note": mine_now.note if mine_now else "",
            "back": previous_decided(order, record.id if record else ""),
            "done": len(order),
            "left": len(queue),
            "position": (queue.index(record) + 1) if record in queue else 0,
            "reasons": [
                (REASON_KEYS[n] if n < len(REASON_KEYS) else "", code, text)
                for n, (code, text) in enumerate(self.reasons)
            ],
            "answers": {d.record_id: answer_text(d, self.protocol.criteria) for d in mine},
            "ta": title_abstract_counts(effective),
            "ft": full_text_counts(effective),
            "said": "",
            "problem": "",
            "open_conflicts": crossings,
            "stopping": stop.describe() if stop else "",
            "skip_help": SKIP_HELP,
            "pool": stop.total if stop else 0,
            "screened": stop.screened if stop else 0,
            "unsure": sum(1 for d in mine if d.outcome == "needs-human"),
            "ranking": ranking,
            # decisions the ranking shown has not learned yet: the page asks again
            # (`ranking_now`) until the background refit has them
            "ranking_lag": lag,
        }

    def first_unskipped(
        self, reviewer: str, stage: Stage, queue: Sequence[Record]
    ) -> Record | None:
        """The first record of `queue` the reviewer has not skipped; once only skipped
        records are left, they come back (the first of them), and skipping starts anew."""
        skipped = self._skipped.setdefault((reviewer, stage), set())
        for record in queue:
            if record.id not in skipped:
                return record
        skipped.clear()
        return queue[0] if queue else None

    async def skip(self, request: Request) -> Response:
        """Leave the record on screen for later, storing nothing (s, as in `review screen`)."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        reviewer, form = posted
        stage = _stage(request)
        record_id = str(form.get("record_id", ""))
        if stage is None or record_id not in self.index:
            return self.message(request, "No such record to skip; nothing changed.", 400)
        self._skipped.setdefault((reviewer, stage), set()).add(record_id)
        return RedirectResponse(f"/screen/{stage}?{urlencode({'skipped': record_id})}", 303)

    async def ranking_now(self, request: Request) -> Response:
        """The record's relevance line by the latest finished ranking, and how many
        decisions that ranking has yet to learn: the screening page updates its line
        from this while the model is refit in the background, as `review screen` redraws."""
        if not self.reviewer(request):
            return JSONResponse({"error": "Sign in first."}, 401)
        record_id = request.query_params.get("record", "")
        ranker = self._ranker
        if ranker is None or record_id not in self.index:
            return JSONResponse({"ranking": "", "lag": 0})
        lag = ranker.lag  # read first: the line below is at least that new
        line = await run_in_threadpool(_ranking_line, ranker, record_id)
        return JSONResponse({"ranking": line, "lag": lag})

    def saved_text(self, context: Mapping[str, Any], record_id: str) -> str:
        answer = context["answers"].get(record_id)
        if answer is None:  # undone meanwhile (another tab): say what is true
            return f"{record_id} has no decision of yours now."
        title = self.index[record_id].title or "(no title)"
        short = title if len(title) <= 70 else title[:67] + "…"
        return f"Saved {record_id} ({short}): {answer}."

    def effective(self, store: DecisionStore) -> tuple[Decision, ...]:
        return effective_decisions(self.config.rule_decisions, self.people(store))

    async def decide(self, request: Request) -> Response:
        stage = _stage(request)

        def read(reviewer: str, form: FormData) -> Decision | None:
            record_id = str(form.get("record_id", ""))
            outcome_name, _, reason = str(form.get("choice", "")).partition(":")
            outcome = CHOICES.get(outcome_name)
            if stage is None or record_id not in self.index or outcome is None:
                return None
            return Decision(record_id, stage, outcome, reason, reviewer, note=_note(form))

        return await self.save(
            request,
            read,
            "That decision is not one this page offers; nothing was stored.",
            self.store_decision,
            lambda d: ("screen.html", partial(self.screen_context, d.by, d.stage, d.record_id)),
            lambda d: f"/screen/{d.stage}?{urlencode({'saved': d.record_id})}",
            "Not saved",
        )

    async def save(
        self,
        request: Request,
        read: Callable[[str, FormData], Decision | None],
        invalid: str,
        write: Callable[[Decision], None],
        again: Callable[[Decision], tuple[str, Callable[[], dict[str, Any]]]],
        then: Callable[[Decision], str],
        not_done: str,
    ) -> Response:
        """A form that stores one decision: checked, `read`, stored by `write`, then
        the redirect to `then`; refused (400) when `read` finds nothing it offers,
        or the `again` page with the store's objection (409)."""
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        decision = read(*posted)
        if decision is None:
            return self.message(request, invalid, 400)
        try:
            await run_in_threadpool(write, decision)
        except DecisionError as exc:
            template, context = again(decision)
            return await self.objection(request, template, context, f"{not_done}: {exc}")
        return RedirectResponse(then(decision), 303)

    async def objection(
        self,
        request: Request,
        template: str,
        context: Callable[[], dict[str, Any]],
        problem: str,
    ) -> Response:
        """The page again, saying why the store refused (nothing was stored)."""
        shown = await run_in_threadpool(context)
        shown["problem"] = problem
        return self.page(request, template, shown, 409)

    def store_decision(self, decision: Decision) -> None:
        with self.store() as store:
            store.add(decision)
            self.teach(store)

    async def undo(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        reviewer, _form = posted
        stage = _stage(request)
        if stage is None:
            return self.page(request, "message.html", {"message": "No such stage."}, 404)
        try:
            undone = await run_in_threadpool(self.undo_last, reviewer, stage)
        except DecisionError as exc:
            context = partial(self.screen_context, reviewer, stage, "")
            return await self.objection(request, "screen.html", context, f"Not undone: {exc}")
        if undone is None:
            return RedirectResponse(f"/screen/{stage}?nothing=undo", 303)
        query = urlencode({"record": undone.record_id, "undone": undone.record_id})
        return RedirectResponse(f"/screen/{stage}?{query}", 303)

    def undo_last(self, reviewer: str, stage: Stage) -> Decision | None:
        with self.store() as store:
            undone = store.undo_last(reviewer, stage)
            self.teach(store)
            return undone

    # --- conflicts and agreement -----------------------------------------------------

    async def conflicts(self, request: Request) -> Response:
        if not self.reviewer(request):
            return self.to_login(request)
        context = await run_in_threadpool(self.conflicts_context)
        resolved = request.query_params.get("resolved", "")
        if resolved in self.index:
            context["said"] = f"Resolved {resolved}."
        return self.page(request, "conflicts.html", context)

    def conflicts_context(self) -> dict[str, Any]:
        with self.store() as store:
            found = self.conflicting(store)
        criteria = self.protocol.criteria
        items = [
            {
                "record": record_page(self.index[record_id], criteria, None),
                "stage": stage,
                "answers": [
                    (
                        d.by if d.record_id == record_id else f"{d.by} (on its copy {d.record_id})",
                        answer_text(d, criteria),
                        d.note,
                    )
                    for d in answers
                ],
                # A reason some reviewer gave, offered first; never a silent default.
                "suggested": next((d.reason for d in answers if d.reason), ""),
            }
            for record_id, stage, answers in found
        ]
        return {
            "conflicts": items,
            "reasons": self.reasons,
            "said": "",
            "problem": "",
            "open_conflicts": len(items),
        }

    async def resolve(self, request: Request) -> Response:
        def read(reviewer: str, form: FormData) -> Decision | None:
            record_id = str(form.get("record_id", ""))
            stage = str(form.get("stage", ""))
            outcome = CHOICES.get(str(form.get("choice", "")))
            reason = str(form.get("reason", "")) if outcome == "exclude" else ""
            if record_id not in self.index or stage not in STAGES or outcome is None:
                return None
            return Decision(record_id, stage, outcome, reason, reviewer, note=_note(form))

        return await self.save(
            request,
            read,
            "Not a resolution this page offers; nothing was stored.",
            self.store_resolution,
            lambda _d: ("conflicts.html", self.conflicts_context),
            lambda d: f"/conflicts?{urlencode({'resolved': d.record_id})}",
            "Not resolved",
        )

    def store_resolution(self, decision: Decision) -> None:
        copies = self.groups.copies(decision.record_id) if self.groups is not None else ()
        with self.store() as store:
            store.resolve(decision, copies)
            self.teach(store)

    async def agreement(self, request: Request) -> Response:
        if not self.reviewer(request):
            return self.to_login(request)
        context = await run_in_threadpool(self.agreement_context)
        return self.page(request, "agreement.html", context)

    def agreement_context(self) -> dict[str, Any]:
        rows = []
        with self.store() as store:
            for stage in STAGES:
                names = store.reviewers(stage)
                for n, first in enumerate(names):
                    for second in names[n + 1 :]:
                        try:
                            rows.append(store.agreement(first, second, stage))
                        except DecisionError:
                            continue  # no record both decided
            crossings = self.open_conflicts(store)
        return {"rows": rows, "rule": AGREEMENT_RULE, "open_conflicts": crossings}

    # --- dashboard and report --------------------------------------------------------

    async def dashboard(self, request: Request) -> Response:
        if not self.reviewer(request):
            return self.to_login(request)
        context = await run_in_threadpool(self.dashboard_context)
        if request.query_params.get("report") == "written":
            context["said"] = f"Report written to {self.config.report_dir}."
        return self.page(request, "dashboard.html", context)

    def dashboard_context(self) -> dict[str, Any]:
        with self.store() as store:
            people = self.people(store)
            everyone = store.final_decisions()
            resolutions = store.current(kind="resolution")
            stopping = stop_status(
                self.config.records,
                self.config.rule_decisions,
                store,
                self.rule,
                groups=self.groups,
            ).describe()
            per_reviewer = [
                (name, [len(store.current(stage, name)) for stage in STAGES])
                for name in store.reviewers()
            ]
            crossings = self.open_conflicts(store)
        prisma = None
        effective = effective_decisions(self.config.rule_decisions, people)
        if self.config.prepared is not None and self.config.run_settings is not None:
            # As `review run` counts: decisions per duplicate group, the report's diagram.
            from review.pipeline import with_human_decisions
            from review.report.model import build_report
            from review.report.svg import prisma_svg
            from review.report_stage import review_report_input

            review = with_human_decisions(self.config.prepared, everyone, resolutions)
            effective = review.decisions
            # The diagram's counts only: ranking the awaiting records (the features of
            # every record) on each visit would make the page wait for nothing.
            report = build_report(
                review_report_input(review, self.config.run_settings, ranked=False)
            )
            # Built by ElementTree from counts and the protocol's labels: escaped markup.
            prisma = Markup(prisma_svg(report, link_prefix=None))
        report_html = self.config.report_dir / "report.html"
        written = ""
        if report_html.is_file():
            stamp = datetime.fromtimestamp(report_html.stat().st_mtime, UTC)
            written = stamp.isoformat(timespec="seconds")
        return {
            "held": held_lines(held_full_text(self.config.rule_decisions, people)),
            "ta": title_abstract_counts(effective),
            "ft": full_text_counts(effective),
            "awaiting": sum(1 for d in people if d.by == "awaiting"),
            "required": self.protocol.screening.reviewers_required,
            "stopping": stopping,
            "per_reviewer": per_reviewer,
            "reason_text": dict(self.reasons),
            "prisma": prisma,
            "report_written": written,
            "can_write_report": self.config.prepared is not None,
            "said": "",
            "open_conflicts": crossings,
        }

    async def write_report(self, request: Request) -> Response:
        posted = await self.posted(request)
        if isinstance(posted, Response):
            return posted
        _reviewer, _form = posted
        if self.config.prepared is None or self.config.run_settings is None:
            return self.page(
                request,
                "message.html",
                {"message": "Serving --records files: run `review run` for a report."},
                400,
            )
        await run_in_threadpool(self.write_report_now)
        return RedirectResponse("/dashboard?report=written", 303)

    def write_report_now(self) -> None:
        from review.pipeline import with_human_decisions
        from review.report_stage import write_review_report

        assert self.config.prepared is not None and self.config.run_settings is not None
        with self.store() as store:
            people = store.final_decisions()
            resolutions = store.current(kind="resolution")
        review = with_human_decisions(self.config.prepared, people, resolutions)
        write_review_report(review, self.config.run_settings, self.config.report_dir)

    async def report_file(self, request: Request) -> Response:
        if not self.reviewer(request):
            return self.to_login(request)
        root = self.config.report_dir.resolve()
        wanted = (root / request.path_params["path"]).resolve()
        if wanted.is_dir():
            wanted = wanted / "report.html"
        if not wanted.is_relative_to(root) or not wanted.is_file():
            return self.page(
                request,
                "message.html",
                {"message": "No such report file; write the report from the dashboard."},
                404,
            )
        return FileResponse(wanted)


def _ranking_line(ranker: RecordRanker, record_id: str) -> str:
    """Relevance, what the ranking learned from, and the terms that weighed most."""
    relevance = ranker.relevance(record_id)
    if relevance is None:
        return ""
    terms = ranker.terms(record_id)
    return f"Relevance {relevance:.2f} ({ranker.describe()})" + (
        f"; weighed most: {', '.join(terms)}" if terms else ""
    )


def _note(form: FormData) -> str:
    return str(form.get("note", ""))[:MAX_NOTE].strip()


def _stage(request: Request) -> Stage | None:
    stage = request.path_params.get("stage", "")
    return cast(Stage, stage) if stage in STAGES else None


def _name_problem(name: str) -> str:
    if not name:
        return "Give your name: every decision says who made it."
    if name in RESERVED_NAMES:
        return f"{name!r} is reserved ({', '.join(RESERVED_NAMES)}); give your own name."
    if len(name) > MAX_NAME or not name.isprintable():
        return f"Give a name of up to {MAX_NAME} printable characters."
    return ""


def _cookie(response: Response, key: str, value: str) -> None:
    response.set_cookie(key, value, httponly=True, samesite="strict", path="/")
