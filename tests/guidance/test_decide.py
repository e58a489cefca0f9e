"""Decide, for scripted people over simulated time: frequency, schedule in another zone, the
attention budget and its cooldown, priority ties, holdouts, audiences, versions mid-walkthrough,
texts for the locale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from tests.guidance.conftest import MONDAY, Bench
from waypost.guidance.catalogue import build
from waypost.guidance.decide import DecideRequest, Person, decide
from waypost.guidance.library import Environment
from waypost.guidance.segments import SegmentDocument, save_segment

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _shoutout(key: str, *extra: str, priority: int = 0) -> str:
    lines = [
        "kind: shoutout",
        f"key: {key}",
        f"name: {key}",
        f"priority: {priority}",
        "title: {en: Hello, ja: こんにちは}",
        *extra,
    ]
    return "\n".join(lines)


def test_once_is_shown_to_a_person_one_time(bench: Bench) -> None:
    bench.publish(_shoutout("welcome", "frequency: {show: once}"))
    assert bench.keys("ann", MONDAY) == ["welcome"]
    bench.guide(MONDAY, "ann", "$guide_shown", "welcome")
    assert bench.keys("ann", MONDAY + HOUR) == []
    assert bench.keys("bob", MONDAY + HOUR) == ["welcome"]


def test_until_completed_comes_back_until_the_person_completes_it(bench: Bench) -> None:
    bench.publish(_shoutout("welcome", "frequency: {show: until_completed}"))
    bench.guide(MONDAY, "ann", "$guide_shown", "welcome")
    assert bench.keys("ann", MONDAY + DAY) == ["welcome"]
    bench.guide(MONDAY + DAY, "ann", "$guide_completed", "welcome")
    assert bench.keys("ann", MONDAY + 2 * DAY) == []


def test_every_n_days_waits_n_days_after_the_last_showing(bench: Bench) -> None:
    bench.publish(_shoutout("pulse", "frequency: {show: every_n_days, days: 7}"))
    bench.guide(MONDAY, "ann", "$guide_shown", "pulse")
    assert bench.keys("ann", MONDAY + 6 * DAY) == []
    assert bench.keys("ann", MONDAY + 7 * DAY) == ["pulse"]


def test_at_most_stops_after_that_many_showings(bench: Bench) -> None:
    bench.publish(_shoutout("tip", "frequency: {show: at_most, times: 2}"))
    bench.guide(MONDAY, "ann", "$guide_shown", "tip")
    assert bench.keys("ann", MONDAY + DAY) == ["tip"]
    bench.guide(MONDAY + DAY, "ann", "$guide_shown", "tip")
    assert bench.keys("ann", MONDAY + 2 * DAY) == []


def test_a_schedule_in_tokyo_hours_is_read_in_tokyo_time(bench: Bench) -> None:
    bench.publish(
        _shoutout(
            "office-hours",
            "schedule: {days: [mon, tue, wed, thu, fri], from: '09:00', until: '17:00', "
            "timezone: Asia/Tokyo}",
        )
    )
    monday_10_in_tokyo = MONDAY.replace(hour=1)  # 01:00 UTC
    monday_18_in_tokyo = MONDAY  # 09:00 UTC
    saturday_10_in_tokyo = monday_10_in_tokyo + 5 * DAY
    assert bench.keys("ann", monday_10_in_tokyo) == ["office-hours"]
    assert bench.keys("ann", monday_18_in_tokyo) == []
    assert bench.keys("ann", saturday_10_in_tokyo) == []


def test_a_schedule_uses_the_apps_time_zone_unless_the_item_names_one(bench: Bench) -> None:
    bench.settings(timezone="America/New_York")
    bench.publish(_shoutout("morning", "schedule: {from: '08:00', until: '12:00'}"))
    assert bench.keys("ann", MONDAY.replace(hour=13)) == ["morning"]  # 09:00 in New York
    assert bench.keys("ann", MONDAY.replace(hour=9)) == []  # 05:00 in New York


def test_start_and_end_bound_when_an_item_shows(bench: Bench) -> None:
    bench.publish(
        _shoutout(
            "launch", "schedule: {start: '2026-03-03T00:00:00Z', end: '2026-03-05T00:00:00Z'}"
        )
    )
    assert bench.keys("ann", MONDAY) == []
    assert bench.keys("ann", MONDAY + DAY) == ["launch"]
    assert bench.keys("ann", MONDAY + 3 * DAY) == []


def test_the_budget_caps_new_interruptions_per_period_but_not_hints(bench: Bench) -> None:
    bench.settings(budget={"max_new": 2, "period_hours": 24, "cooldown_hours": 0})
    for key in ("a", "b", "c"):
        bench.publish(_shoutout(key))
    bench.publish("kind: smart_tip\nkey: hint\nname: hint\ntarget: {selector: '#x'}\nbody: Psst")
    bench.guide(MONDAY, "ann", "$guide_shown", "a")
    bench.guide(MONDAY, "ann", "$guide_shown", "b")

    later = bench.decide("ann", MONDAY + HOUR)
    assert later["budget"]["remaining"] == 0
    # a and b may come back (until completed); c would be a third new one today
    assert sorted(item["key"] for item in later["items"]) == ["a", "b", "hint"]
    assert "c" in bench.keys("ann", MONDAY + 25 * HOUR)


def test_no_new_interruption_starts_during_the_cooldown_after_a_dismissal(bench: Bench) -> None:
    bench.settings(budget={"max_new": 10, "period_hours": 24, "cooldown_hours": 4})
    bench.publish(_shoutout("first", "frequency: {show: once}"))
    bench.publish(_shoutout("second"))
    bench.guide(MONDAY, "ann", "$guide_shown", "first")
    bench.guide(MONDAY, "ann", "$guide_dismissed", "first")

    during = bench.decide("ann", MONDAY + 3 * HOUR)
    assert during["items"] == []
    assert during["budget"]["cooldown_until"] == (MONDAY + 4 * HOUR).isoformat()
    assert bench.keys("ann", MONDAY + 5 * HOUR) == ["second"]


def test_interruptions_come_by_priority_then_the_older_item_then_the_key(bench: Bench) -> None:
    bench.publish(_shoutout("older", priority=5))
    bench.publish(_shoutout("newer", priority=5))
    bench.publish(_shoutout("urgent", priority=9))
    bench.publish(_shoutout("minor", priority=-1))
    assert bench.keys("ann", MONDAY) == ["urgent", "older", "newer", "minor"]


def test_a_walkthrough_under_way_comes_first_whatever_its_priority(bench: Bench) -> None:
    bench.publish(_shoutout("loud", priority=100))
    bench.publish(
        "kind: walkthrough\nkey: tour\nname: Tour\npriority: 1\n"
        "steps: [{kind: popup, title: One}, {kind: popup, title: Two}]"
    )
    bench.guide(MONDAY, "ann", "$guide_shown", "tour")
    bench.guide(MONDAY, "ann", "$guide_step_viewed", "tour", **{"$content_step": 0})
    assert bench.keys("ann", MONDAY + HOUR) == ["tour", "loud"]


def test_a_holdout_keeps_a_stable_tenth_of_people_away(bench: Bench) -> None:
    bench.publish(_shoutout("promo", "holdout: 10"))
    people = [f"user-{n}" for n in range(1500)]
    held = {p for p in people if bench.decide(p, MONDAY)["holdouts"]}
    # 10% of 1,500 is 150; three standard deviations of the binomial is about 35
    assert 115 <= len(held) <= 185
    again = {p for p in people[:300] if bench.decide(p, MONDAY + DAY)["holdouts"]}
    assert again == held & set(people[:300])
    assert all("promo" not in bench.keys(p, MONDAY) for p in list(held)[:20])


def test_a_recorded_holdout_stays_and_a_person_who_saw_the_item_never_joins_it(
    bench: Bench,
) -> None:
    bench.publish(_shoutout("promo", "holdout: 10"))
    people = [f"user-{n}" for n in range(200)]
    held = next(p for p in people if bench.decide(p, MONDAY)["holdouts"])
    shown = next(p for p in people if not bench.decide(p, MONDAY)["holdouts"])
    bench.guide(MONDAY, held, "$holdout_assigned", "promo")
    bench.guide(MONDAY, shown, "$guide_shown", "promo")

    bench.publish(_shoutout("promo", "holdout: 90"))  # the builder widens the holdout
    assert bench.decide(shown, MONDAY + HOUR)["holdouts"] == []
    bench.publish(_shoutout("promo", "holdout: 0"))  # and then drops it
    assert bench.decide(held, MONDAY + HOUR)["holdouts"] == [{"key": "promo", "recorded": True}]


def test_people_mid_walkthrough_finish_the_version_they_started(bench: Bench) -> None:
    first = "steps: [{kind: popup, title: Old one}, {kind: popup, title: Old two}]"
    assert bench.publish(f"kind: walkthrough\nkey: tour\nname: Tour\n{first}") == 1
    bench.guide(MONDAY, "ann", "$guide_shown", "tour", version=1)
    bench.guide(MONDAY, "ann", "$guide_step_viewed", "tour", version=1, **{"$content_step": 1})
    second = "steps: [{kind: popup, title: New one}]"
    assert bench.publish(f"kind: walkthrough\nkey: tour\nname: Tour\n{second}") == 2

    ann = bench.decide("ann", MONDAY + HOUR)["items"][0]
    assert (ann["version"], ann["under_way"], ann["state"]["step"]) == (1, True, 1)
    assert ann["definition"]["steps"][1]["title"] == "Old two"
    bob = bench.decide("bob", MONDAY + HOUR)["items"][0]
    assert (bob["version"], bob["under_way"]) == (2, False)


def test_a_builder_can_make_people_mid_walkthrough_restart_on_the_new_version(
    bench: Bench,
) -> None:
    bench.publish("kind: walkthrough\nkey: tour\nname: Tour\nsteps: [{kind: popup, title: A}]")
    bench.guide(MONDAY, "ann", "$guide_step_viewed", "tour", version=1, **{"$content_step": 0})
    bench.publish(
        "kind: walkthrough\nkey: tour\nname: Tour\nrestart_on_new_version: true\n"
        "steps: [{kind: popup, title: B}]"
    )
    item = bench.decide("ann", MONDAY + HOUR)["items"][0]
    assert (item["version"], item["under_way"]) == (2, False)


def test_audiences_combine_traits_behaviour_in_a_window_and_saved_segments(bench: Bench) -> None:
    with bench.db.begin():
        save_segment(
            bench.db,
            bench.app_id,
            SegmentDocument.model_validate(
                {"key": "trial", "name": "On trial", "rules": {"trait": {"plan": {"eq": "trial"}}}}
            ),
        )
    bench.publish(
        _shoutout(
            "power-trial",
            "audience: {segment: trial, rules: {did: {event: Report Built, at_least: 2, "
            "within_days: 7}}}",
        )
    )
    for user, plan in (("ann", "trial"), ("bob", "trial"), ("cyd", "pro")):
        bench.send(MONDAY, {"type": "identify", "userId": user, "traits": {"plan": plan}})
    for user in ("ann", "cyd"):
        for n in range(2):
            bench.send(
                MONDAY + n * HOUR, {"type": "track", "event": "Report Built", "userId": user}
            )
    bench.send(MONDAY, {"type": "track", "event": "Report Built", "userId": "bob"})

    def offered(user: str, at: object) -> bool:
        return "power-trial" in bench.keys(user, at)

    assert offered("ann", MONDAY + DAY)
    assert not offered("bob", MONDAY + DAY), "one report is not two"
    assert not offered("cyd", MONDAY + DAY), "not on trial"
    assert not offered("ann", MONDAY + 8 * DAY), "the reports fell out of the 7-day window"


def test_content_state_rules_and_a_page_trigger(bench: Bench) -> None:
    bench.publish(_shoutout("welcome"))
    bench.publish(
        _shoutout(
            "next-step",
            "audience: {rules: {content: {key: welcome, state: completed}}}",
            "trigger: {page: {path: {starts_with: /projects}}}",
        )
    )
    bench.guide(MONDAY, "ann", "$guide_completed", "welcome")
    assert bench.keys("ann", MONDAY, url="https://app.example/projects/7") == ["next-step"]
    assert bench.keys("ann", MONDAY, url="https://app.example/settings") == []
    assert bench.keys("bob", MONDAY, url="https://app.example/projects/7") == ["welcome"]


def test_drafts_and_other_environments_are_not_shown(bench: Bench) -> None:
    bench.publish(_shoutout("staged"), Environment.STAGING)
    assert bench.keys("ann", MONDAY) == []
    assert bench.keys("ann", MONDAY, environment=Environment.STAGING) == ["staged"]


def test_texts_come_in_the_persons_locale_with_bodies_made_safe(bench: Bench) -> None:
    bench.publish(
        _shoutout(
            "news",
            "body: {en: '**New** <img src=x onerror=alert(1)>',"
            " ja: '**新機能** <script>x</script>'}",
        )
    )
    japanese = bench.decide("ann", MONDAY, locale="ja-JP")["items"][0]["definition"]
    assert (japanese["title"], japanese["body"]) == (
        "こんにちは",
        "<p><strong>新機能</strong> </p>",
    )
    english = bench.decide("ann", MONDAY, locale="fr")["items"][0]["definition"]
    assert english["title"] == "Hello"  # the app's fallback locale
    assert english["body"] == '<p><strong>New</strong> <img src="x"></p>'


def test_the_checklist_counts_done_tasks_and_unlocks_them_in_order(bench: Bench) -> None:
    bench.publish(
        "kind: task\nkey: import\nname: Import\npriority: 2\ntitle: Import contacts\n"
        "complete_when: {event: Contacts Imported}"
    )
    bench.publish(
        "kind: task\nkey: invite\nname: Invite\npriority: 1\ntitle: Invite a teammate\n"
        "complete_when: {event: Teammate Invited}\nafter: [import]"
    )
    before = bench.decide("ann", MONDAY)["checklist"]
    assert before["done"] == 0
    assert [(t["key"], t["unlocked"]) for t in before["tasks"]] == [
        ("import", True),
        ("invite", False),
    ]
    bench.guide(MONDAY, "ann", "$task_completed", "import")
    after = bench.decide("ann", MONDAY + HOUR)["checklist"]
    assert (after["done"], after["total"]) == (1, 2)
    assert [(t["key"], t["done"], t["unlocked"]) for t in after["tasks"]] == [
        ("import", True, True),
        ("invite", False, True),
    ]


def test_a_task_is_done_by_its_event_from_anywhere_or_by_finishing_its_walkthrough(
    bench: Bench,
) -> None:
    bench.publish(
        "kind: task\nkey: import\nname: Import\ntitle: Import contacts\n"
        "complete_when: {event: Contacts Imported}"
    )
    bench.publish(
        "kind: task\nkey: filtered\nname: Filtered\ntitle: Import a big file\n"
        "complete_when: {event: Contacts Imported, where: {rows: {gte: 1000}}}"
    )
    bench.publish("kind: walkthrough\nkey: tour\nname: Tour\nsteps:\n  - {kind: popup, title: Hi}")
    bench.publish(
        "kind: task\nkey: toured\nname: Toured\ntitle: Take the tour\n"
        "complete_when: {walkthrough: tour}"
    )

    def done() -> dict[str, bool]:
        answer = bench.decide("ann", MONDAY + DAY)
        states = {i["key"]: i["state"]["completed"] for i in answer["items"] if i["kind"] == "task"}
        ticked = {t["key"]: t["done"] for t in answer["checklist"]["tasks"]}
        assert states == ticked  # the item's state and the checklist agree
        return ticked

    assert done() == {"import": False, "filtered": False, "toured": False}
    # Sent by the customer's backend, never seen by the snippet.
    bench.send(
        MONDAY,
        {"type": "track", "event": "Contacts Imported", "userId": "ann", "properties": {"rows": 5}},
    )
    bench.guide(MONDAY, "ann", "$guide_completed", "tour")
    # The property filter cannot be told from counts: only a report completes that one.
    assert done() == {"import": True, "filtered": False, "toured": True}


def test_a_task_done_by_its_rule_is_marked_unreported_until_its_report_is_stored(
    bench: Bench,
) -> None:
    bench.publish(
        "kind: task\nkey: import\nname: Import\ntitle: Import contacts\n"
        "complete_when: {event: Contacts Imported}"
    )

    def unreported() -> bool | None:
        (item,) = bench.decide("ann", MONDAY + DAY)["items"]
        return item.get("unreported")

    bench.send(MONDAY, {"type": "track", "event": "Signed Up", "userId": "ann"})
    assert unreported() is None  # not done
    bench.send(MONDAY, {"type": "track", "event": "Contacts Imported", "userId": "ann"})
    assert unreported() is True  # done, never reported
    bench.guide(MONDAY, "ann", "$task_completed", "import")
    assert unreported() is None  # reported


def test_did_counts_an_action_as_the_sum_of_its_events(bench: Bench) -> None:
    from waypost.insights.actions import ActionIn, create_action

    with bench.db.begin():
        create_action(
            bench.db,
            bench.app_id,
            ActionIn.model_validate(
                {
                    "name": "Reported",
                    "steps": [{"event": "Report Built"}, {"event": "Report Exported"}],
                }
            ),
        )
    bench.publish(
        _shoutout(
            "reporter", "audience: {rules: {did: {action: Reported, at_least: 2, within_days: 7}}}"
        )
    )
    bench.send(MONDAY, {"type": "track", "event": "Report Built", "userId": "ann"})
    bench.send(MONDAY, {"type": "track", "event": "Report Exported", "userId": "ann"})
    bench.send(MONDAY, {"type": "track", "event": "Report Built", "userId": "bob"})
    assert bench.keys("ann", MONDAY + HOUR) == ["reporter"]
    assert bench.keys("bob", MONDAY + HOUR) == []


def test_rules_may_not_count_actions_profiles_cannot_count(bench: Bench) -> None:
    import pytest

    from waypost.errors import InvalidInput
    from waypost.insights.actions import ActionIn, create_action

    with bench.db.begin():
        create_action(
            bench.db,
            bench.app_id,
            ActionIn.model_validate({"name": "Pricing", "steps": [{"url": "/pricing"}]}),
        )
    for action, says in (("Pricing", "made of event names only"), ("Nope", "does not exist")):
        with pytest.raises(InvalidInput, match=says) as refused:
            bench.publish(_shoutout("x", f"audience: {{rules: {{did: {{action: {action}}}}}}}"))
        assert refused.value.field == "audience"
        bench.db.rollback()


def test_a_menu_shows_each_person_only_the_sections_meant_for_them(bench: Bench) -> None:
    bench.publish("kind: resource\nkey: guide\nname: Guide\ntitle: Guide\nurl: /help/guide")
    bench.publish("kind: shuttle\nkey: call\nname: Call\nurl: /book\nlabel: Book a call")
    bench.publish(
        "kind: menu\nkey: help\nname: Help\ntitle: Help\nsections:\n"
        "  - {items: [guide]}\n"
        "  - {audience: {rules: {trait: {plan: {eq: trial}}}}, items: [call]}\n"
    )
    bench.send(MONDAY, {"type": "identify", "userId": "ann", "traits": {"plan": "trial"}})
    bench.send(MONDAY, {"type": "identify", "userId": "bob", "traits": {"plan": "pro"}})

    def sections(user: str) -> list[list[str]]:
        answer = bench.decide(user, MONDAY + HOUR)
        menu = next(i for i in answer["items"] if i["key"] == "help")["definition"]
        assert all("audience" not in section for section in menu["sections"])
        return [section["items"] for section in menu["sections"]]

    assert sections("ann") == [["guide"], ["call"]]
    assert sections("bob") == [["guide"]]


def test_a_split_step_carries_whether_its_condition_holds_for_the_person(bench: Bench) -> None:
    bench.publish(
        "kind: walkthrough\nkey: tour\nname: Tour\nsteps:\n"
        "  - {key: fork, kind: split, split: {when: {trait: {role: {eq: admin}}}, "
        "then: invite, otherwise: done}}\n"
        "  - {key: invite, kind: popup, title: Invite}\n"
        "  - {key: done, kind: popup, title: Done}\n"
    )
    bench.send(MONDAY, {"type": "identify", "userId": "ann", "traits": {"role": "admin"}})

    def split(user: str) -> dict[str, object]:
        steps = bench.decide(user, MONDAY + HOUR)["items"][0]["definition"]["steps"]
        return steps[0]["split"]

    assert split("ann") == {"then": "invite", "otherwise": "done", "holds": True}
    assert split("bob") == {"then": "invite", "otherwise": "done", "holds": False}


def test_one_catalogue_answers_each_page_by_its_own_trigger(bench: Bench) -> None:
    bench.publish(_shoutout("projects", "trigger: {page: {path: {starts_with: /projects}}}"))
    bench.publish(_shoutout("billing", "trigger: {page: {url: {contains: billing}}}"))
    bench.publish(_shoutout("anywhere"))
    with bench.db.begin():
        catalogue = build(bench.db, bench.app_id, Environment.PRODUCTION)

    def keys(url: str | None) -> list[str]:
        wanted = DecideRequest(userId="ann", url=url)
        answer = decide(catalogue, wanted, Person("ann", None, {}), MONDAY)
        return sorted(item["key"] for item in answer["items"])

    # Asked twice each, in turns: what one page remembers never answers for another.
    for _ in range(2):
        assert keys("https://app.example/projects/7") == ["anywhere", "projects"]
        assert keys("https://app.example/settings/billing") == ["anywhere", "billing"]
        assert keys(None) == ["anywhere"]


def test_definitions_the_snippet_holds_are_not_sent_again(bench: Bench) -> None:
    bench.publish(_shoutout("welcome"))
    bench.publish(_shoutout("news"))
    first = bench.decide("ann", MONDAY, locale="ja")
    assert all("definition" in item for item in first["items"])
    held = [f"{item['key']}@{item['version']}" for item in first["items"]]
    again = bench.decide("ann", MONDAY, locale="ja", have=held)
    assert [item["key"] for item in again["items"]] == [item["key"] for item in first["items"]]
    assert all("definition" not in item for item in again["items"])
    # Another version of an item is sent whole.
    newer = bench.publish(_shoutout("news", "priority: 5"))
    answer = {item["key"]: item for item in bench.decide("ann", MONDAY, have=held)["items"]}
    assert "definition" not in answer["welcome"]
    assert answer["news"]["version"] == newer
    assert answer["news"]["definition"]["title"] == "Hello"


def test_a_personal_definition_is_sent_even_when_the_snippet_holds_the_version(
    bench: Bench,
) -> None:
    bench.publish("kind: resource\nkey: guide\nname: Guide\ntitle: Guide\nurl: /help/guide")
    bench.publish(
        "kind: menu\nkey: help\nname: Help\ntitle: Help\nsections:\n"
        "  - {audience: {rules: {trait: {plan: {eq: trial}}}}, items: [guide]}\n"
    )
    bench.publish(
        "kind: menu\nkey: plain\nname: Plain\ntitle: Plain\nsections:\n  - {items: [guide]}"
    )
    held = ["help@1", "plain@1", "guide@1"]
    answer = {item["key"]: item for item in bench.decide("ann", MONDAY, have=held)["items"]}
    assert answer["help"]["definition"]["sections"] == []  # ann is not on a trial
    assert "definition" not in answer["plain"]
    assert "definition" not in answer["guide"]


def test_a_decide_request_holding_too_many_definitions_is_refused() -> None:
    with pytest.raises(ValidationError, match="have"):
        DecideRequest(userId="ann", have=[f"k{n}@1" for n in range(1001)])


def test_items_a_person_can_start_are_answered_as_listed_where_they_would_not_show(
    bench: Bench,
) -> None:
    bench.publish(
        "kind: walkthrough\nkey: import-tour\nname: Import tour\n"
        "trigger: {page: {path: {eq: /import}}}\nsteps:\n  - {kind: popup, title: Import}"
    )
    bench.publish(
        "kind: walkthrough\nkey: unlisted\nname: Unlisted\n"
        "trigger: {page: {path: {eq: /import}}}\nsteps:\n  - {kind: popup, title: Other}"
    )
    bench.publish(
        "kind: walkthrough\nkey: report-tour\nname: Report tour\ntrigger: {manual: true}\n"
        "steps:\n  - {kind: popup, title: Reports}"
    )
    bench.publish(
        "kind: menu\nkey: help\nname: Help\ntitle: Help\nsections:\n  - {items: [import-tour]}"
    )

    def answered(url: str, at: Any = MONDAY) -> dict[str, bool]:
        answer = bench.decide("ann", at, url=f"https://app.example{url}")
        return {item["key"]: item["listed"] for item in answer["items"] if item["kind"] != "menu"}

    # On its page the tour shows by itself; elsewhere the menu can still start it. A manual
    # item is always startable; an item nothing points to is answered only on its page.
    assert answered("/import") == {"import-tour": False, "unlisted": False, "report-tour": False}
    assert answered("/home") == {"import-tour": True, "report-tour": False}
    # The attention budget spent: new interruptions wait, but a person may still start them.
    bench.settings(budget={"max_new": 0, "period_hours": 24, "cooldown_hours": 0})
    assert answered("/import", MONDAY + HOUR) == {"import-tour": True, "report-tour": True}
