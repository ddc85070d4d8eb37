-- name: rollup_last_hour
-- The last hour the workspace holds records for, over the given interfaces (NULL: none).
-- recheck ends its "since the plan" window here instead of at the wall clock.
-- Parameters: $interfaces (VARCHAR[]).
SELECT max(hour) AS last_hour
FROM flow_rollup
WHERE interface_id IN (SELECT unnest($interfaces::VARCHAR[]));
