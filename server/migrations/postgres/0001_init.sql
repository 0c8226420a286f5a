-- 0001: the whole model, as in migrations/sqlite/0001_init.sql, plus what several servers on
-- one database share: the throttle's windows, instance slots for operation ids, and counts
-- split over shards so that concurrent writers rarely wait for one another.
-- Applied on start under an advisory lock (txstate_migrations records what ran).

CREATE TABLE actions (
    id   TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE deployments (
    id         TEXT PRIMARY KEY,
    action_id  TEXT,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- API users: secret keys and access tokens are stored only as SHA-256 hashes.
CREATE TABLE api_users (
    api_key_id       TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    grants           TEXT NOT NULL,          -- JSON array: "notify", "voice"
    rate_requests    BIGINT NOT NULL,
    rate_per_seconds BIGINT NOT NULL,
    enabled          BOOLEAN NOT NULL,
    key1_hash        TEXT,
    key2_hash        TEXT,
    created_at       BIGINT NOT NULL
);
CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    api_key_id TEXT NOT NULL REFERENCES api_users(api_key_id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
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
    received_at     BIGINT NOT NULL,
    PRIMARY KEY (deployment_id, ref_trans_id)
);
CREATE TABLE notification_history (
    id             BIGSERIAL PRIMARY KEY,
    deployment_id  TEXT NOT NULL,
    ref_trans_id   TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    response_state TEXT NOT NULL,
    response_code  TEXT,
    received_at    BIGINT NOT NULL
);
CREATE INDEX notification_history_key ON notification_history (deployment_id, ref_trans_id);

-- Counts, maintained in the same transaction as the notifications. Each writer adds to one of
-- 16 shards (a counter row per shard), so writers of one deployment do not queue on one row;
-- readers sum the shards.
CREATE TABLE deployment_counts (
    deployment_id    TEXT NOT NULL,
    shard            SMALLINT NOT NULL,
    success          BIGINT NOT NULL DEFAULT 0,
    failure          BIGINT NOT NULL DEFAULT 0,
    last_notified_at BIGINT,
    PRIMARY KEY (deployment_id, shard)
);
CREATE TABLE outcome_counts (
    deployment_id  TEXT NOT NULL,
    response_state TEXT NOT NULL,
    response_code  TEXT NOT NULL,            -- '' where none was given
    shard          SMALLINT NOT NULL,
    count          BIGINT NOT NULL,
    PRIMARY KEY (deployment_id, response_state, response_code, shard)
);
CREATE TABLE hourly_counts (
    deployment_id TEXT NOT NULL,
    hour          BIGINT NOT NULL,           -- epoch ms / 3,600,000
    shard         SMALLINT NOT NULL,
    success       BIGINT NOT NULL DEFAULT 0,
    failure       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (deployment_id, hour, shard)
);

-- Voice: transaction ids registered under deployments, call records, their history and
-- per-deployment figures ('' = unassigned).
CREATE TABLE registered_transactions (
    transaction_id TEXT PRIMARY KEY,
    deployment_id  TEXT NOT NULL
);
CREATE INDEX registered_transactions_deployment ON registered_transactions (deployment_id);
CREATE TABLE voice_calls (
    transaction_id    TEXT PRIMARY KEY,
    deployment_id     TEXT NOT NULL,
    call_end_ms       BIGINT NOT NULL,
    payload           TEXT NOT NULL,
    op_transaction_id TEXT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE TABLE voice_history (
    id                BIGSERIAL PRIMARY KEY,
    transaction_id    TEXT NOT NULL,
    op_transaction_id TEXT NOT NULL,
    payload           TEXT NOT NULL,
    received_at       BIGINT NOT NULL
);
CREATE TABLE voice_stats (
    deployment_id TEXT PRIMARY KEY,
    stats         TEXT NOT NULL
);

-- The request log: every call of the two endpoints, accepted or not.
CREATE TABLE request_log (
    transaction_id TEXT PRIMARY KEY,
    at_ms          BIGINT NOT NULL,
    api_key_id     TEXT,
    endpoint       TEXT NOT NULL,
    method         TEXT NOT NULL,
    status         BIGINT NOT NULL,
    code           BIGINT,
    latency_us     BIGINT NOT NULL,
    client         TEXT,
    body           TEXT NOT NULL,           -- the first 8 KiB
    body_truncated BOOLEAN NOT NULL,
    headers        TEXT NOT NULL,           -- JSON object, authorization redacted
    response       TEXT NOT NULL            -- the response body
);
CREATE INDEX request_log_at ON request_log (at_ms);

-- Throttling shared by every server: each API user's theoretical arrival time (generic cell
-- rate algorithm), in microseconds of the database's clock, so that servers whose clocks
-- differ still share one window. UNLOGGED: every partner request writes here, and a window
-- need not survive a database crash (it restarts empty, as a server's own would), so these
-- writes wait for no disk flush.
CREATE UNLOGGED TABLE throttle (
    api_key_id TEXT PRIMARY KEY,
    tat        BIGINT NOT NULL
);

-- Admits one request of a user whose limit allows one request per `p_interval` µs with a
-- burst of `p_slack / p_interval + 1`. Returns 0 when admitted, else the µs to wait.
CREATE FUNCTION txstate_admit(p_user TEXT, p_interval BIGINT, p_slack BIGINT) RETURNS BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    now_us BIGINT := (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT;
    t      BIGINT;
BEGIN
    INSERT INTO throttle (api_key_id, tat) VALUES (p_user, now_us + p_interval)
        ON CONFLICT (api_key_id) DO NOTHING;
    IF FOUND THEN
        RETURN 0;
    END IF;
    SELECT tat INTO t FROM throttle WHERE api_key_id = p_user FOR UPDATE;
    t := GREATEST(t, now_us);
    IF now_us < t - p_slack THEN
        RETURN t - p_slack - now_us;
    END IF;
    UPDATE throttle SET tat = t + p_interval WHERE api_key_id = p_user;
    RETURN 0;
END $$;

-- Each server takes a slot on start; its operation ids carry it, so two servers never hand
-- out the same id in the same millisecond.
CREATE SEQUENCE instance_slots;

-- Records a notification in one round trip (contract: "Idempotency"): the same outcome again
-- changes nothing and answers the first operation's id; another outcome replaces the stored
-- one, keeps both in the history and moves the counts (in shard `p_shard`). Counter rows are
-- locked in key order, so concurrent calls never deadlock. Returns 'new', 'replaced' or
-- 'repeat', and the operation id the answer carries.
CREATE FUNCTION txstate_notify(
    p_dep TEXT, p_ref TEXT, p_tid TEXT, p_state TEXT, p_code TEXT, p_desc TEXT, p_time TEXT,
    p_info TEXT, p_at BIGINT, p_shard SMALLINT,
    OUT outcome TEXT, OUT operation_id TEXT
)
LANGUAGE plpgsql AS $$
DECLARE
    v_code  TEXT := coalesce(p_code, '');
    o_state TEXT;
    o_code  TEXT;
    o_at    BIGINT;
    o_tid   TEXT;
BEGIN
    INSERT INTO notifications (deployment_id, ref_trans_id, transaction_id, response_state,
        response_code, response_desc, response_time, additional_info, received_at)
    VALUES (p_dep, p_ref, p_tid, p_state, p_code, p_desc, p_time, p_info, p_at)
    ON CONFLICT (deployment_id, ref_trans_id) DO NOTHING;
    IF FOUND THEN
        outcome := 'new';
    ELSE
        SELECT transaction_id, response_state, coalesce(response_code, ''), received_at
            INTO o_tid, o_state, o_code, o_at
            FROM notifications WHERE deployment_id = p_dep AND ref_trans_id = p_ref FOR UPDATE;
        IF o_state = p_state AND o_code = v_code THEN
            outcome := 'repeat';
            operation_id := o_tid;
            RETURN;
        END IF;
        UPDATE notifications SET transaction_id = p_tid, response_state = p_state,
            response_code = p_code, response_desc = p_desc, response_time = p_time,
            additional_info = p_info, received_at = p_at
            WHERE deployment_id = p_dep AND ref_trans_id = p_ref;
        outcome := 'replaced';
    END IF;
    operation_id := p_tid;
    INSERT INTO notification_history (deployment_id, ref_trans_id, transaction_id,
        response_state, response_code, received_at)
    VALUES (p_dep, p_ref, p_tid, p_state, p_code, p_at);

    INSERT INTO outcome_counts (deployment_id, response_state, response_code, shard, count)
    SELECT p_dep, s, c, p_shard, sum(d)
        FROM (VALUES (p_state, v_code, 1), (o_state, o_code, -1)) AS v(s, c, d)
        WHERE s IS NOT NULL GROUP BY s, c HAVING sum(d) <> 0 ORDER BY s, c
    ON CONFLICT (deployment_id, response_state, response_code, shard)
        DO UPDATE SET count = outcome_counts.count + excluded.count;

    INSERT INTO deployment_counts (deployment_id, shard, success, failure, last_notified_at)
    VALUES (p_dep, p_shard,
        (p_state = '531')::int - coalesce((o_state = '531')::int, 0),
        (p_state <> '531')::int - coalesce((o_state <> '531')::int, 0),
        p_at)
    ON CONFLICT (deployment_id, shard) DO UPDATE SET
        success = deployment_counts.success + excluded.success,
        failure = deployment_counts.failure + excluded.failure,
        last_notified_at = greatest(deployment_counts.last_notified_at, excluded.last_notified_at);

    INSERT INTO hourly_counts (deployment_id, hour, shard, success, failure)
    SELECT p_dep, h, p_shard, sum(s), sum(f)
        FROM (VALUES (p_at / 3600000, (p_state = '531')::int, (p_state <> '531')::int),
                     (o_at / 3600000, -(o_state = '531')::int, -(o_state <> '531')::int)) AS v(h, s, f)
        WHERE h IS NOT NULL GROUP BY h HAVING sum(s) <> 0 OR sum(f) <> 0 ORDER BY h
    ON CONFLICT (deployment_id, hour, shard) DO UPDATE SET
        success = hourly_counts.success + excluded.success,
        failure = hourly_counts.failure + excluded.failure;
END $$;
