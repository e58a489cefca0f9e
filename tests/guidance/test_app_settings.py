"""An app's guidance settings row is made on first use; two requests making it at once (a new
app's first page views) both get it, neither fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tests.conftest import Tenant
from waypost.db import create_engine_for, session_factory
from waypost.guidance.app_settings import app_settings, identity_secret
from waypost.settings import Settings


def test_two_first_uses_at_once_both_get_the_one_row(
    settings: Settings, make_tenant: Callable[[str], Tenant]
) -> None:
    app_id = make_tenant("Acme").app_id
    engine = create_engine_for(settings.metadata_url)
    sessions = session_factory(engine)
    seen: list[object] = []
    try:
        with sessions() as first, first.begin():
            app_settings(first, app_id)  # made, not committed yet: the other must wait for it

            def second_use() -> None:
                try:
                    with sessions() as second, second.begin():
                        seen.append(identity_secret(second, app_id))
                except Exception as exc:  # the failure is what the test reports
                    seen.append(exc)

            worker = threading.Thread(target=second_use)
            worker.start()
            time.sleep(0.5)  # the second is blocked on the first's row by now
            mine = identity_secret(first, app_id)
        worker.join(timeout=30)
        assert seen == [mine]
    finally:
        engine.dispose()
