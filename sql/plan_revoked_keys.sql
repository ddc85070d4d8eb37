-- name: plan_revoked_keys
-- What the given rules of `plan_matches` let in, one row per (protocol, service port, remote
-- address, probe or real): the input of "who a ready group's change shuts out"
-- (sgharden.analysis.shut_out).
-- Parameters: $rules INTEGER[] (rule ids of plan_matches: a group's revoked ingress rules).
-- Columns: protocol, service_port, remote_addr, is_probe.
SELECT DISTINCT protocol, service_port, remote_addr, is_probe
FROM plan_matches
WHERE list_contains($rules, rule_id)
ORDER BY protocol, service_port NULLS FIRST, remote_addr, is_probe;
