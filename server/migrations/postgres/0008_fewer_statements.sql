-- 0008: txstate_notify_batch() (0005) with the same rules in fewer statements. A call's cost
-- that does not grow with its notifications is the start-up of each statement it runs, and
-- half-full batches (two servers sharing the load) pay it twice as often: the loop over keys
-- stored already now runs only when there are any, and the three counter tables are written
-- by one statement over the moves summed once. Counted by server/benches/pg_callgrind.sh:
-- 874,822 -> 725,407 instructions a call of one notification, 3,421,905 -> 3,226,134 at 24.
-- Same arguments and answer: servers of the previous version call it unchanged.
CREATE OR REPLACE FUNCTION txstate_notify_batch(
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

    -- The others (stored already, or a key twice in the batch), one by one.
    IF cardinality(fresh) < cardinality(p_dep) THEN
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
    END IF;

    INSERT INTO notification_history (deployment_id, ref_trans_id, transaction_id,
        response_state, response_code, received_at)
    SELECT p_dep[k], p_ref[k], p_tid[k], p_state[k], p_code[k], p_at[k] FROM unnest(kept) AS k;

    -- The counts' moves, summed once for the three counter tables (each written in key order).
    WITH m AS MATERIALIZED (
        SELECT p_dep[k] AS d, p_state[k] AS s, coalesce(p_code[k], '') AS c, p_at[k] AS a, 1 AS n
            FROM unnest(kept) AS k
        UNION ALL
        SELECT d, s, c, a, -1 FROM unnest(b_dep, b_state, b_code, b_at) AS b(d, s, c, a)
    ), outcomes AS (
        INSERT INTO outcome_counts (deployment_id, response_state, response_code, shard, count)
        SELECT d, s, c, p_shard, sum(n) FROM m GROUP BY d, s, c HAVING sum(n) <> 0 ORDER BY d, s, c
        ON CONFLICT (deployment_id, response_state, response_code, shard)
            DO UPDATE SET count = outcome_counts.count + excluded.count
    ), deployments AS (
        INSERT INTO deployment_counts (deployment_id, shard, success, failure, last_notified_at)
        SELECT d, p_shard, coalesce(sum(n) FILTER (WHERE s = '531'), 0),
               coalesce(sum(n) FILTER (WHERE s <> '531'), 0), max(a) FILTER (WHERE n > 0)
            FROM m GROUP BY d ORDER BY d
        ON CONFLICT (deployment_id, shard) DO UPDATE SET
            success = deployment_counts.success + excluded.success,
            failure = deployment_counts.failure + excluded.failure,
            last_notified_at = greatest(deployment_counts.last_notified_at, excluded.last_notified_at)
    )
    INSERT INTO hourly_counts (deployment_id, hour, shard, success, failure)
    SELECT d, h, p_shard, coalesce(sum(n) FILTER (WHERE s = '531'), 0),
           coalesce(sum(n) FILTER (WHERE s <> '531'), 0)
        FROM (SELECT d, s, a / 3600000, n FROM m) AS m(d, s, h, n)
        GROUP BY d, h
        HAVING sum(n) FILTER (WHERE s = '531') <> 0 OR sum(n) FILTER (WHERE s <> '531') <> 0
        ORDER BY d, h
    ON CONFLICT (deployment_id, hour, shard) DO UPDATE SET
        success = hourly_counts.success + excluded.success,
        failure = hourly_counts.failure + excluded.failure;
END $$;
