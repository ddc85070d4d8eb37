-- name: window_bounds
-- The hours the workspace holds for the given interfaces: first hour and the hour after the
-- last (the default analysis window). NULLs when nothing was delivered for them.
-- Parameters: $interfaces (JSON text: a list of interface ids; analysis/params.py).
-- Columns: start, end.
WITH wanted AS (SELECT DISTINCT unnest(from_json($interfaces, '["VARCHAR"]')) AS interface_id)
SELECT min(hour) AS start, max(hour) + INTERVAL 1 HOUR AS "end"
FROM interface_hours
WHERE interface_id IN (SELECT interface_id FROM wanted);
