"""A change after the plan, judged from flow data: replay (current vs proposed rules), the soak of
a staged rollout, verify (who is turned away) and recheck (the plan against a fresh snapshot).
No AWS writes here (act/) and no rendering (render/)."""
