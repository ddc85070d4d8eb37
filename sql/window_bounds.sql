-- name: window_bounds
-- The hours the workspace holds for the given interfaces: first hour and the hour after the
-- last (the default analysis window). NULLs when nothing was delivered for them.
-- Parameters: $interfaces (VARCHAR[]). Columns: start, end.
SELECT min(hour) AS start, max(hour) + INTERVAL 1 HOUR AS "end"
FROM interface_hours
WHERE list_contains($interfaces, interface_id);
