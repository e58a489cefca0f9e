"""Content documents: what builders author, one model per kind, the same in files and the API.

Every document has `kind` and `key` (stable and unique per app: the id used in files, events and
the API) and the common fields of `Common`; each kind adds its own. Texts are either one string
(used for every locale) or a mapping of locale to text. Unknown fields are refused, so a typo is
an error with the field's path rather than a setting silently ignored.
"""

from __future__ import annotations

import functools
from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, field_validator, model_validator

from waypost.guidance.conditions import Match, Strict
from waypost.guidance.rules import Rule, check_depth

KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,99}$"
Key = Annotated[str, Field(pattern=KEY_PATTERN, description="Lower-case letters, digits, . _ -")]
LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
# One string for every locale, or a mapping of locale (en, ja, pt-BR) to text.
Text = str | dict[Annotated[str, Field(pattern=LOCALE_PATTERN)], str]
MAX_TEXT = 20_000


def _check_text(value: Text | None, name: str) -> None:
    texts = [value] if isinstance(value, str) else list((value or {}).values())
    for text in texts:
        if len(text) > MAX_TEXT:
            raise ValueError(f"{name} is longer than {MAX_TEXT} characters")
    if isinstance(value, dict) and not value:
        raise ValueError(f"{name} needs at least one locale's text")


class Audience(Strict):
    """Who may see the item: a saved segment, inline rules, or both (both must hold)."""

    segment: Key | None = None
    rules: Rule | None = None

    @functools.cached_property
    def rule(self) -> Rule:
        """The segment and the rules as one rule tree."""
        parts = [Rule(segment=self.segment)] if self.segment is not None else []
        parts += [self.rules] if self.rules is not None else []
        return parts[0] if len(parts) == 1 else Rule(all=parts)

    @model_validator(mode="after")
    def _something(self) -> Audience:
        if self.segment is None and self.rules is None:
            raise ValueError("give a segment, rules, or both")
        if self.rules is not None:
            check_depth(self.rules, "rules")
        return self


class Target(Strict):
    """An element, as a fingerprint: any of these describe it, and the snippet scores the page's
    candidates against all of them. `selector` and/or `text` is the minimal form."""

    selector: str | None = Field(None, max_length=2000)
    selectors: list[Annotated[str, Field(max_length=2000)]] | None = Field(None, max_length=20)
    text: str | None = Field(None, max_length=500)
    tag: str | None = Field(None, max_length=40)
    role: str | None = Field(None, max_length=40)
    attributes: dict[str, Annotated[str, Field(max_length=500)]] | None = Field(None, max_length=20)
    ancestors: list[Annotated[str, Field(max_length=2000)]] | None = Field(None, max_length=10)
    frame: str | None = Field(
        None, max_length=2000, description="Selector of a same-origin iframe."
    )
    url: Match | None = Field(None, description="The page the element is on, when it matters.")

    @model_validator(mode="after")
    def _describes_something(self) -> Target:
        if not (self.selector or self.selectors or self.text or self.attributes):
            raise ValueError("a target needs at least a selector, selectors, text or attributes")
        return self


class EventTrigger(Strict):
    """An event (or action) the person does, with conditions on its properties."""

    name: str | None = Field(None, min_length=1, max_length=200)
    action: str | None = Field(None, min_length=1, max_length=200)
    where: dict[str, Match] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _one_of(self) -> EventTrigger:
        if (self.name is None) == (self.action is None):
            raise ValueError("give name (an event) or action (one of them)")
        return self


class PageTrigger(Strict):
    """Pages the item may start on."""

    url: Match | None = None
    path: Match | None = None


class ElementTrigger(Strict):
    """An element that starts the item when it is present, or when it is clicked."""

    target: Target
    on: Literal["present", "click"] = "present"


class Trigger(Strict):
    """When the item starts. Several given: all must hold (a page and a delay on it, an element
    clicked on a page). None given: on any page load."""

    page: PageTrigger | None = None
    element: ElementTrigger | None = None
    event: EventTrigger | None = None
    delay_seconds: float | None = Field(None, ge=0, le=86_400)
    exit_intent: bool | None = None
    scroll_percent: int | None = Field(None, ge=1, le=100)
    manual: bool | None = Field(
        None, description="Only started by a launcher, the menu or waypost.start(key)."
    )

    @model_validator(mode="after")
    def _manual_alone(self) -> Trigger:
        if self.manual and len(self.model_fields_set - {"manual"}) > 0:
            raise ValueError("a manual trigger takes no other condition")
        return self


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class Schedule(Strict):
    """When the item may show: between start and end, on some days, between hours, in the
    app's time zone unless `timezone` says another (IANA name, such as Asia/Tokyo)."""

    start: datetime | None = None
    end: datetime | None = None
    days: list[Weekday] | None = Field(None, min_length=1, max_length=7)
    from_time: time | None = Field(None, alias="from")
    until: time | None = None
    timezone: str | None = Field(None, max_length=64)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        for moment, name in ((self.start, "start"), (self.end, "end")):
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} needs a time zone offset (such as Z or +09:00)")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Show(StrEnum):
    ONCE = "once"
    UNTIL_COMPLETED = "until_completed"
    EVERY_SESSION = "every_session"
    EVERY_N_DAYS = "every_n_days"
    AT_MOST = "at_most"
    ALWAYS = "always"


class Frequency(Strict):
    """How often one person may be shown the item."""

    show: Show = Show.UNTIL_COMPLETED
    days: int | None = Field(None, ge=1, le=3650)
    times: int | None = Field(None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _numbers(self) -> Frequency:
        if self.show is Show.EVERY_N_DAYS and self.days is None:
            raise ValueError("every_n_days needs days")
        if self.show is Show.AT_MOST and self.times is None:
            raise ValueError("at_most needs times")
        return self


class Goal(Strict):
    """What the item is for: an event or action reached within N days of seeing it."""

    event: str | None = Field(None, min_length=1, max_length=200)
    action: str | None = Field(None, min_length=1, max_length=200)
    where: dict[str, Match] | None = Field(None, max_length=20)
    within_days: int = Field(7, ge=1, le=365)

    @model_validator(mode="after")
    def _one_of(self) -> Goal:
        if (self.event is None) == (self.action is None):
            raise ValueError("give an event or an action (one of them)")
        return self


class Theme(Strict):
    """Overrides of the app's theme for this item (CSS colour values and a few sizes)."""

    accent: str | None = Field(None, max_length=40, pattern=r"^[#a-zA-Z0-9(),.% -]+$")
    background: str | None = Field(None, max_length=40, pattern=r"^[#a-zA-Z0-9(),.% -]+$")
    text: str | None = Field(None, max_length=40, pattern=r"^[#a-zA-Z0-9(),.% -]+$")
    radius: int | None = Field(None, ge=0, le=40)
    width: int | None = Field(None, ge=120, le=1200)


class Common(Strict):
    """Fields every kind has."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    audience: Audience | None = None
    trigger: Trigger | None = None
    schedule: Schedule | None = None
    frequency: Frequency | None = None
    priority: int = Field(0, ge=-1000, le=1000)
    goal: Goal | None = None
    holdout: int | float = Field(
        0, ge=0, le=90, description="Percent of the audience that never sees it."
    )
    theme: Theme | None = None


class Button(Strict):
    """A button in a step or a shoutout."""

    label: Text
    action: Literal["next", "back", "dismiss", "complete", "url", "start"] = "next"
    url: str | None = Field(None, max_length=2000)
    start: Key | None = None

    @model_validator(mode="after")
    def _needs(self) -> Button:
        _check_text(self.label, "label")
        if self.action == "url" and not self.url:
            raise ValueError("a url button needs url")
        if self.action == "start" and not self.start:
            raise ValueError("a start button needs start (the key of the item to start)")
        return self


class Advance(StrEnum):
    NEXT = "next"
    CLICK = "click"
    INPUT = "input"
    ELEMENT = "element"
    URL = "url"


Placement = Literal["auto", "top", "bottom", "left", "right", "center"]


class WaitFor(Strict):
    """What a wait step waits for; the first that happens ends it."""

    element: Target | None = None
    url: Match | None = None
    event: str | None = Field(None, max_length=200)
    timeout_seconds: float = Field(30, gt=0, le=3600)
    on_timeout: Literal["next", "end"] = "next"

    @model_validator(mode="after")
    def _something(self) -> WaitFor:
        if self.element is None and self.url is None and self.event is None:
            raise ValueError("give element, url or event to wait for")
        return self


class AutoAction(Strict):
    """What an auto step does for the user on its target."""

    do: Literal["click", "type", "select", "focus"]
    value: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _value(self) -> AutoAction:
        if self.do in ("type", "select") and self.value is None:
            raise ValueError(f"{self.do} needs value")
        return self


class Branch(Strict):
    """A split step: go to `then` when the rule holds, else to `otherwise` (step keys, or
    `end`)."""

    when: Rule
    then: str = Field(min_length=1, max_length=100)
    otherwise: str = Field(min_length=1, max_length=100)


class StepAction(Strict):
    """What an action step does: open a URL, start another item, or track an event."""

    open_url: str | None = Field(None, max_length=2000)
    new_tab: bool = False
    start: Key | None = None
    track: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one(self) -> StepAction:
        if sum(v is not None for v in (self.open_url, self.start, self.track)) != 1:
            raise ValueError("give exactly one of open_url, start or track")
        return self


class StepKind(StrEnum):
    TOOLTIP = "tooltip"
    POPUP = "popup"
    WAIT = "wait"
    AUTO = "auto"
    SPLIT = "split"
    ACTION = "action"


class Step(Strict):
    """One step of a walkthrough. Which fields apply depends on its kind."""

    kind: StepKind
    key: str | None = Field(None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    target: Target | None = None
    placement: Placement = "auto"
    title: Text | None = None
    body: Text | None = None
    buttons: list[Button] | None = Field(None, max_length=4)
    advance: Advance | None = None
    page: PageTrigger | None = Field(None, description="The page the step is on, when not this.")
    on_missing: Literal["skip", "wait", "end"] = "wait"
    wait_seconds: float = Field(10, gt=0, le=600, description="How long to wait for the target.")
    wait: WaitFor | None = None
    auto: AutoAction | None = None
    split: Branch | None = None
    action: StepAction | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> Step:
        _check_text(self.title, "title")
        _check_text(self.body, "body")
        needs: dict[StepKind, tuple[str, ...]] = {
            StepKind.TOOLTIP: ("target",),
            StepKind.POPUP: (),
            StepKind.WAIT: ("wait",),
            StepKind.AUTO: ("target", "auto"),
            StepKind.SPLIT: ("split",),
            StepKind.ACTION: ("action",),
        }
        for name in needs[self.kind]:
            if getattr(self, name) is None:
                raise ValueError(f"a {self.kind.value} step needs {name}")
        for name in ("wait", "auto", "split", "action"):
            if getattr(self, name) is not None and name != self.kind.value:
                raise ValueError(f"{name} belongs to a {name} step, not a {self.kind.value} step")
        if self.advance in (Advance.CLICK, Advance.INPUT, Advance.ELEMENT) and self.target is None:
            raise ValueError(f"advance: {self.advance.value} needs a target")
        return self


class Walkthrough(Common):
    """Ordered steps that guide a person through a task, across pages."""

    kind: Literal["walkthrough"]
    steps: list[Step] = Field(min_length=1, max_length=100)
    restart_on_new_version: bool = Field(
        False, description="People mid-way restart on a new version instead of finishing theirs."
    )

    @model_validator(mode="after")
    def _branches_land(self) -> Walkthrough:
        keys = [s.key for s in self.steps if s.key]
        if len(keys) != len(set(keys)):
            raise ValueError("step keys must be unique")
        for step in self.steps:
            if step.split is not None:
                for name in (step.split.then, step.split.otherwise):
                    if name != "end" and name not in keys:
                        raise ValueError(f"split goes to {name!r}, which is no step's key")
        return self


class SmartTip(Common):
    """A hint on one element, shown on hover or always."""

    kind: Literal["smart_tip"]
    target: Target
    title: Text | None = None
    body: Text
    mode: Literal["hover", "always"] = "hover"
    placement: Placement = "auto"

    @model_validator(mode="after")
    def _texts(self) -> SmartTip:
        _check_text(self.title, "title")
        _check_text(self.body, "body")
        return self


class Shoutout(Common):
    """An announcement: a modal, a banner or a slide-out, with a call to action."""

    kind: Literal["shoutout"]
    style: Literal["modal", "banner", "slideout"] = "modal"
    title: Text
    body: Text | None = None
    image: str | None = Field(None, max_length=2000)
    buttons: list[Button] | None = Field(None, max_length=3)

    @model_validator(mode="after")
    def _texts(self) -> Shoutout:
        _check_text(self.title, "title")
        _check_text(self.body, "body")
        return self


class Launcher(Common):
    """A button or beacon on an element that starts an item or opens a shuttle."""

    kind: Literal["launcher"]
    target: Target
    style: Literal["button", "beacon", "icon"] = "beacon"
    label: Text | None = None
    placement: Placement = "right"
    start: Key | None = None
    shuttle: Key | None = None

    @model_validator(mode="after")
    def _one(self) -> Launcher:
        _check_text(self.label, "label")
        if (self.start is None) == (self.shuttle is None):
            raise ValueError("a launcher gives start or shuttle (one of them)")
        return self


class Shuttle(Common):
    """A link: a URL, a calendar booking, or a help article."""

    kind: Literal["shuttle"]
    link: Literal["url", "calendar", "article"] = "url"
    url: str = Field(min_length=1, max_length=2000)
    label: Text
    new_tab: bool = True

    @field_validator("url")
    @classmethod
    def _safe(cls, url: str) -> str:
        if not url.lower().startswith(("https://", "http://", "/", "mailto:")):
            raise ValueError("url must start with https://, http://, / or mailto:")
        return url

    @model_validator(mode="after")
    def _texts(self) -> Shuttle:
        _check_text(self.label, "label")
        return self


class CompleteWhen(Strict):
    """What completes a task: an event, an action, a goal reached, or a walkthrough finished."""

    event: str | None = Field(None, min_length=1, max_length=200)
    action: str | None = Field(None, min_length=1, max_length=200)
    where: dict[str, Match] | None = Field(None, max_length=20)
    walkthrough: Key | None = None
    goal_of: Key | None = Field(None, description="Reaching this item's goal completes the task.")

    @model_validator(mode="after")
    def _one(self) -> CompleteWhen:
        given = [self.event, self.action, self.walkthrough, self.goal_of]
        if sum(v is not None for v in given) != 1:
            raise ValueError("give exactly one of event, action, walkthrough or goal_of")
        return self


class Task(Common):
    """An onboarding checklist item."""

    kind: Literal["task"]
    title: Text
    body: Text | None = None
    complete_when: CompleteWhen
    after: list[Key] | None = Field(None, max_length=20, description="Tasks to finish first.")
    start: Key | None = Field(None, description="What the task's button starts.")
    url: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _texts(self) -> Task:
        _check_text(self.title, "title")
        _check_text(self.body, "body")
        if self.after and self.key in self.after:
            raise ValueError("a task cannot wait for itself")
        return self


class Resource(Common):
    """An article or a video, found by the help menu's search."""

    kind: Literal["resource"]
    title: Text
    url: str = Field(min_length=1, max_length=2000)
    media: Literal["article", "video"] = "article"
    summary: Text | None = None
    text: Text | None = Field(None, description="Searchable text of the resource.")
    tags: list[Annotated[str, Field(max_length=50)]] | None = Field(None, max_length=30)

    @model_validator(mode="after")
    def _texts(self) -> Resource:
        for value, name in ((self.title, "title"), (self.summary, "summary"), (self.text, "text")):
            _check_text(value, name)
        return self


class MenuSection(Strict):
    """A group of the help menu's entries, for an audience of its own."""

    title: Text | None = None
    audience: Audience | None = None
    items: list[Key] = Field(min_length=1, max_length=100)


class Menu(Common):
    """The help hub: walkthroughs, tasks, resources and shuttles, grouped per audience, with a
    search over them."""

    kind: Literal["menu"]
    title: Text
    sections: list[MenuSection] = Field(min_length=1, max_length=20)
    search: bool = True
    checklist_title: Text | None = None

    @model_validator(mode="after")
    def _texts(self) -> Menu:
        _check_text(self.title, "title")
        return self


class QuestionType(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    RATING = "rating"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"


# Each scale's answers: NPS 0-10, CSAT 1-5, CES 1-7; rating up to `scale`.
SCALES: dict[QuestionType, tuple[int, int]] = {
    QuestionType.NPS: (0, 10),
    QuestionType.CSAT: (1, 5),
    QuestionType.CES: (1, 7),
}


class Option(Strict):
    """A choice of a single or multiple question."""

    key: str = Field(min_length=1, max_length=100)
    label: Text


class Jump(Strict):
    """Branching by answer: when the answer meets `answer`, go to question `to` (or `end`)."""

    answer: Match
    to: str = Field(min_length=1, max_length=100)


class Question(Strict):
    """One survey question."""

    key: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    type: QuestionType
    text: Text
    required: bool = True
    options: list[Option] | None = Field(None, min_length=2, max_length=30)
    other: bool = Field(False, description="A free-text 'other' choice.")
    scale: int | None = Field(None, ge=3, le=10, description="A rating question's top score.")
    low_label: Text | None = None
    high_label: Text | None = None
    jumps: list[Jump] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _fits(self) -> Question:
        _check_text(self.text, "text")
        choice = self.type in (QuestionType.SINGLE, QuestionType.MULTIPLE)
        if choice and not self.options:
            raise ValueError(f"a {self.type.value} question needs options")
        if not choice and (self.options or self.other):
            raise ValueError(f"a {self.type.value} question takes no options")
        if self.type is QuestionType.RATING and self.scale is None:
            raise ValueError("a rating question needs scale (its top score)")
        if self.type is not QuestionType.RATING and self.scale is not None:
            raise ValueError("only a rating question takes scale")
        return self

    def answer_range(self) -> tuple[int, int] | None:
        """The lowest and highest score of a scale question; None for others."""
        if self.type is QuestionType.RATING:
            return (1, self.scale or 5)
        return SCALES.get(self.type)


class FollowUp(Strict):
    """After the survey: when an answer meets the condition, show another item (a shuttle to
    book a call, a walkthrough)."""

    question: str = Field(min_length=1, max_length=100)
    answer: Match
    show: Key


class ThankYou(Strict):
    title: Text
    body: Text | None = None


class Survey(Common):
    """Questions asked in the app: NPS, CSAT, CES, ratings, choices and free text."""

    kind: Literal["survey"]
    style: Literal["popover", "modal"] = "popover"
    questions: list[Question] = Field(min_length=1, max_length=30)
    thank_you: ThankYou | None = None
    follow_ups: list[FollowUp] | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _references(self) -> Survey:
        keys = [q.key for q in self.questions]
        if len(keys) != len(set(keys)):
            raise ValueError("question keys must be unique")
        for question in self.questions:
            for jump in question.jumps or ():
                if jump.to != "end" and jump.to not in keys:
                    raise ValueError(f"a jump goes to {jump.to!r}, which is no question's key")
        for follow in self.follow_ups or ():
            if follow.question not in keys:
                raise ValueError(f"a follow-up names {follow.question!r}, no question's key")
        return self


Document = Annotated[
    Walkthrough | SmartTip | Shoutout | Launcher | Shuttle | Task | Resource | Menu | Survey,
    Field(discriminator="kind"),
]
KINDS: tuple[str, ...] = (
    "walkthrough",
    "smart_tip",
    "shoutout",
    "launcher",
    "shuttle",
    "task",
    "resource",
    "menu",
    "survey",
)
# Kinds that take the screen (one at a time, within the attention budget).
INTERRUPTING = frozenset({"walkthrough", "survey", "shoutout"})
DOCUMENT = TypeAdapter[Any](Document)


def rules_in(document: Any) -> list[Rule]:
    """Every rule tree a document holds (audiences, menu sections', walkthrough splits)."""
    found: list[Rule] = []

    def walk(value: Any) -> None:
        if isinstance(value, Rule):
            found.append(value)
        elif isinstance(value, Strict):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return found


# Fields that hold another item's key (Frequency.show is an enum, never a key).
_POINTERS = frozenset({"start", "shuttle", "walkthrough", "goal_of", "show"})


def references(document: Any) -> set[str]:
    """The keys of other items a document points to (starts, shuttles, tasks, menu entries)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Strict):
            for name in type(value).model_fields:
                item = getattr(value, name)
                if name in _POINTERS and isinstance(item, str) and not isinstance(item, StrEnum):
                    found.add(item)
                elif name in ("after", "items") and isinstance(item, list):
                    found.update(x for x in item if isinstance(x, str))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    found.discard(getattr(document, "key", ""))
    return found
