-- name: plan_matched_rules
-- The rule ids that let anything in (a row in `plan_matches`): the planner asks "who does this
-- revoked rule shut out" (plan_revoked_keys.sql) only of these.
SELECT DISTINCT rule_id FROM plan_matches;
