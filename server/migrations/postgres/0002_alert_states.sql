-- 0002: whether each deployment was last seen over its action's alert threshold. Every server
-- watches the thresholds; the one whose UPDATE changes a row sends the alert webhook, so it is
-- sent once per change of state however many servers share the database.
CREATE TABLE alert_states (
    deployment_id TEXT PRIMARY KEY,
    alerting      BOOLEAN NOT NULL,
    changed_at    BIGINT NOT NULL
);
