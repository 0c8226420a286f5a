-- 0002: whether each deployment was last seen over its action's alert threshold, so that the
-- alert webhook is sent once per change of state, across restarts.
CREATE TABLE alert_states (
    deployment_id TEXT PRIMARY KEY,
    alerting      INTEGER NOT NULL,
    changed_at    INTEGER NOT NULL
);
