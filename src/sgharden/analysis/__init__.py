"""Analysis: from the workspace and a snapshot to a plan. Pure: never calls AWS."""
