"""The plan as `sgharden.plan/v1` JSON (docs/plan-schema.md): the contract scripts read."""

from __future__ import annotations

import json

from sgharden.plan.write import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), indent=2, default=str) + "\n"
