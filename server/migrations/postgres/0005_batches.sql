-- 0005: notifications recorded, and requests admitted by the throttle, in batches
-- (store/postgres_batch.rs). Notifications: one statement and one commit for many, as SQLite's
-- group commit does, instead of one of each per notification. txstate_notify() and
-- txstate_admit() (0001) are kept for servers of the previous version during a rolling
-- upgrade.

-- The rules are txstate_notify()'s (contract: "Idempotency"), applied to each element in
-- turn. First, one insert of every element whose (deployment, ref) is not stored yet (the
-- first of each such key in the batch, in key order so that two batches lock shared rows in
-- the same order); then the others one by one in the order given, each against what is
-- stored by then (a repeat, or a replacement). The counts' moves are summed over the batch
-- and written once per counter row, in key order. Returns one row per element: its position
-- (1-based), 'new', 'replaced' or 'repeat', and the operation id the answer carries.
CREATE FUNCTION txstate_notify_batch(
    p_dep TEXT[], p_ref TEXT[], p_tid TEXT[], p_state TEXT[], p_code TEXT[], p_desc TEXT[],
    p_time TEXT[], p_info TEXT[], p_at BIGINT[], p_shard SMALLINT
) RETURNS TABLE (pos INT, outcome TEXT, operation_id TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    i       INT;
    o_state TEXT;
    o_code  TEXT;
    o_at    BIGINT;
    o_tid   TEXT;
    fresh   INT[];
    -- Elements recorded (new or replacing), each adding one to the counts.
    kept    INT[];
    -- Outcomes replaced, each taking one back.
    b_dep   TEXT[] := '{}';
    b_state TEXT[] := '{}';
    b_code  TEXT[] := '{}';
    b_at    BIGINT[] := '{}';
BEGIN
    WITH inserted AS (
        INSERT INTO notifications (deployment_id, ref_trans_id, transaction_id, response_state,
            response_code, response_desc, response_time, additional_info, received_at)
        SELECT p_dep[g], p_ref[g], p_tid[g], p_state[g], p_code[g], p_desc[g], p_time[g],
               p_info[g], p_at[g]
            FROM generate_subscripts(p_dep, 1) AS g ORDER BY p_dep[g], p_ref[g], g
        ON CONFLICT (deployment_id, ref_trans_id) DO NOTHING
        RETURNING transaction_id
    )
    SELECT coalesce(array_agg(t.g ORDER BY t.g), '{}') INTO fresh
        FROM inserted JOIN unnest(p_tid) WITH ORDINALITY AS t(tid, g) ON t.tid = inserted.transaction_id;
    RETURN QUERY SELECT g::INT, 'new'::TEXT, p_tid[g] FROM unnest(fresh) AS g;
    kept := fresh;

    FOR i IN SELECT g FROM generate_subscripts(p_dep, 1) AS g WHERE g <> ALL (fresh) ORDER BY g LOOP
        pos := i;
        SELECT n.transaction_id, n.response_state, coalesce(n.response_code, ''), n.received_at
            INTO o_tid, o_state, o_code, o_at
            FROM notifications n
            WHERE n.deployment_id = p_dep[i] AND n.ref_trans_id = p_ref[i] FOR UPDATE;
        IF NOT FOUND THEN
            -- Gone since the insert met it (its deployment was deleted): stored anew.
            INSERT INTO notifications (deployment_id, ref_trans_id, transaction_id,
                response_state, response_code, response_desc, response_time, additional_info,
                received_at)
            VALUES (p_dep[i], p_ref[i], p_tid[i], p_state[i], p_code[i], p_desc[i], p_time[i],
                p_info[i], p_at[i]);
            outcome := 'new';
            operation_id := p_tid[i];
            kept := kept || i;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF o_state = p_state[i] AND o_code = coalesce(p_code[i], '') THEN
            outcome := 'repeat';
            operation_id := o_tid;
            RETURN NEXT;
            CONTINUE;
        END IF;
        UPDATE notifications SET transaction_id = p_tid[i], response_state = p_state[i],
            response_code = p_code[i], response_desc = p_desc[i], response_time = p_time[i],
            additional_info = p_info[i], received_at = p_at[i]
            WHERE deployment_id = p_dep[i] AND ref_trans_id = p_ref[i];
        outcome := 'replaced';
        operation_id := p_tid[i];
        kept := kept || i;
        b_dep := b_dep || p_dep[i];
        b_state := b_state || o_state;
        b_code := b_code || o_code;
        b_at := b_at || o_at;
        RETURN NEXT;
    END LOOP;

    INSERT INTO notification_history (deployment_id, ref_trans_id, transaction_id,
        response_state, response_code, received_at)
    SELECT p_dep[k], p_ref[k], p_tid[k], p_state[k], p_code[k], p_at[k] FROM unnest(kept) AS k;

    INSERT INTO outcome_counts (deployment_id, response_state, response_code, shard, count)
    SELECT d, s, c, p_shard, sum(n)
        FROM (SELECT p_dep[k], p_state[k], coalesce(p_code[k], ''), 1 FROM unnest(kept) AS k
              UNION ALL
              SELECT d, s, c, -1 FROM unnest(b_dep, b_state, b_code) AS b(d, s, c)) AS m(d, s, c, n)
        GROUP BY d, s, c HAVING sum(n) <> 0 ORDER BY d, s, c
    ON CONFLICT (deployment_id, response_state, response_code, shard)
        DO UPDATE SET count = outcome_counts.count + excluded.count;

    INSERT INTO deployment_counts (deployment_id, shard, success, failure, last_notified_at)
    SELECT d, p_shard, coalesce(sum(n) FILTER (WHERE s = '531'), 0),
           coalesce(sum(n) FILTER (WHERE s <> '531'), 0), max(a) FILTER (WHERE n > 0)
        FROM (SELECT p_dep[k], p_state[k], p_at[k], 1 FROM unnest(kept) AS k
              UNION ALL
              SELECT d, s, a, -1 FROM unnest(b_dep, b_state, b_at) AS b(d, s, a)) AS m(d, s, a, n)
        GROUP BY d ORDER BY d
    ON CONFLICT (deployment_id, shard) DO UPDATE SET
        success = deployment_counts.success + excluded.success,
        failure = deployment_counts.failure + excluded.failure,
        last_notified_at = greatest(deployment_counts.last_notified_at, excluded.last_notified_at);

    INSERT INTO hourly_counts (deployment_id, hour, shard, success, failure)
    SELECT d, h, p_shard, coalesce(sum(n) FILTER (WHERE s = '531'), 0),
           coalesce(sum(n) FILTER (WHERE s <> '531'), 0)
        FROM (SELECT p_dep[k], p_state[k], p_at[k] / 3600000, 1 FROM unnest(kept) AS k
              UNION ALL
              SELECT d, s, a / 3600000, -1 FROM unnest(b_dep, b_state, b_at) AS b(d, s, a)) AS m(d, s, h, n)
        GROUP BY d, h
        HAVING sum(n) FILTER (WHERE s = '531') <> 0 OR sum(n) FILTER (WHERE s <> '531') <> 0
        ORDER BY d, h
    ON CONFLICT (deployment_id, hour, shard) DO UPDATE SET
        success = hourly_counts.success + excluded.success,
        failure = hourly_counts.failure + excluded.failure;
END $$;

-- Admits up to `p_n` requests of one user at once (the batching throttle of
-- store/postgres_batch.rs: one round trip and one lock of the user's row for all the requests
-- that arrived together, instead of one each). The same cell rate algorithm as
-- txstate_admit(), applied to the requests in turn: the first `admitted` pass; `wait_us` is how
-- long the next one would have to wait (0 when all passed).
CREATE FUNCTION txstate_admit_many(p_user TEXT, p_interval BIGINT, p_slack BIGINT, p_n INT,
    OUT admitted INT, OUT wait_us BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    now_us BIGINT := (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT;
    t      BIGINT;
BEGIN
    INSERT INTO throttle (api_key_id, tat) VALUES (p_user, now_us)
        ON CONFLICT (api_key_id) DO NOTHING;
    SELECT tat INTO t FROM throttle WHERE api_key_id = p_user FOR UPDATE;
    t := GREATEST(t, now_us);
    -- Request k (from 0) passes when now_us >= t + k * p_interval - p_slack.
    IF now_us < t - p_slack THEN
        admitted := 0;
    ELSIF p_interval <= 0 THEN
        admitted := p_n;
    ELSE
        admitted := LEAST(p_n, (now_us + p_slack - t) / p_interval + 1);
    END IF;
    t := t + admitted * GREATEST(p_interval, 0);
    UPDATE throttle SET tat = t WHERE api_key_id = p_user;
    wait_us := CASE WHEN admitted < p_n THEN GREATEST(t - p_slack - now_us, 1) ELSE 0 END;
END $$;

-- The index of replays holds only replays (most requests replay nothing); queries name
-- `replay_of = ...`, which the partial index serves.
DROP INDEX request_log_replay_of;
CREATE INDEX request_log_replay_of ON request_log (replay_of) WHERE replay_of IS NOT NULL;
