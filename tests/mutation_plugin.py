"""A pytest plugin for `make mutate`: property tests stop at their first failing example.

A mutant is killed by any failing test; shrinking the example that failed (the longest part of
a failing property test) tells mutmut nothing more. Failing examples are still saved and tried
first on the next mutant.
"""

from __future__ import annotations

from hypothesis import Phase, settings

settings.register_profile("mutation", phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.load_profile("mutation")
