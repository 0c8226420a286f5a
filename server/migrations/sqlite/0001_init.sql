-- 0001: the whole model. Applied on start (PRAGMA user_version records what ran).

-- Platform model: actions and deployments, kept as the JSON the admin API speaks
-- (core's Action / Deployment), with the columns queries need.
CREATE TABLE actions (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE deployments (
    id         TEXT PRIMARY KEY,
    action_id  TEXT,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- API users: secret keys and access tokens are stored only as SHA-256 hashes.
CREATE TABLE api_users (
    api_key_id       TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    grants           TEXT NOT NULL,          -- JSON array: "notify", "voice"
    rate_requests    INTEGER NOT NULL,
    rate_per_seconds INTEGER NOT NULL,
    enabled          INTEGER NOT NULL,
    key1_hash        TEXT,
    key2_hash        TEXT,
    created_at       INTEGER NOT NULL
);
CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    api_key_id TEXT NOT NULL REFERENCES api_users(api_key_id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Notifications: the current outcome of each (deployment, transaction), and every accepted
-- change in the history.
CREATE TABLE notifications (
    deployment_id   TEXT NOT NULL,
    ref_trans_id    TEXT NOT NULL,
    transaction_id  TEXT NOT NULL,
    response_state  TEXT NOT NULL,
    response_code   TEXT,
    response_desc   TEXT,
    response_time   TEXT,
    additional_info TEXT,
    received_at     INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, ref_trans_id)
);
CREATE TABLE notification_history (
    id             INTEGER PRIMARY KEY,
    deployment_id  TEXT NOT NULL,
    ref_trans_id   TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    response_state TEXT NOT NULL,
    response_code  TEXT,
    received_at    INTEGER NOT NULL
);
CREATE INDEX notification_history_key ON notification_history (deployment_id, ref_trans_id);

-- Counts, maintained in the same transaction as the notifications: dashboards never scan.
CREATE TABLE deployment_counts (
    deployment_id    TEXT PRIMARY KEY,
    success          INTEGER NOT NULL DEFAULT 0,
    failure          INTEGER NOT NULL DEFAULT 0,
    last_notified_at INTEGER
);
CREATE TABLE outcome_counts (
    deployment_id  TEXT NOT NULL,
    response_state TEXT NOT NULL,
    response_code  TEXT NOT NULL,            -- '' where none was given
    count          INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, response_state, response_code)
);
CREATE TABLE hourly_counts (
    deployment_id TEXT NOT NULL,
    hour          INTEGER NOT NULL,          -- epoch ms / 3,600,000
    success       INTEGER NOT NULL DEFAULT 0,
    failure       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (deployment_id, hour)
);

-- Voice: transaction ids registered under deployments, call records, their history and
-- per-deployment figures ('' = unassigned).
CREATE TABLE registered_transactions (
    transaction_id TEXT PRIMARY KEY,
    deployment_id  TEXT NOT NULL
);
CREATE TABLE voice_calls (
    transaction_id    TEXT PRIMARY KEY,
    deployment_id     TEXT NOT NULL,
    call_end_ms       INTEGER NOT NULL,
    payload           TEXT NOT NULL,
    op_transaction_id TEXT NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE TABLE voice_history (
    id                INTEGER PRIMARY KEY,
    transaction_id    TEXT NOT NULL,
    op_transaction_id TEXT NOT NULL,
    payload           TEXT NOT NULL,
    received_at       INTEGER NOT NULL
);
CREATE TABLE voice_stats (
    deployment_id TEXT PRIMARY KEY,
    stats         TEXT NOT NULL
);

-- The request log: every call of the two endpoints, accepted or not.
CREATE TABLE request_log (
    transaction_id TEXT PRIMARY KEY,
    at_ms          INTEGER NOT NULL,
    api_key_id     TEXT,
    endpoint       TEXT NOT NULL,
    method         TEXT NOT NULL,
    status         INTEGER NOT NULL,
    code           INTEGER,
    latency_us     INTEGER NOT NULL,
    client         TEXT,
    body           TEXT NOT NULL,           -- the first 8 KiB
    body_truncated INTEGER NOT NULL,
    headers        TEXT NOT NULL,           -- JSON object, authorization redacted
    response       TEXT NOT NULL            -- the response body
);
CREATE INDEX request_log_at ON request_log (at_ms);
