-- 0006: the throttle takes admissions ahead (store/postgres_ahead.rs). A server whose user's
-- requests queue for the throttle asks, with the requests waiting, for a few admissions more
-- for the requests about to arrive; it spends them within 2 ms or hands them back with its
-- next call. txstate_admit_many() (0005) stays for servers of the previous version during a
-- rolling upgrade, now as this function taking nothing ahead: one home for the algorithm.

-- As txstate_admit_many(), after giving back `p_returned` admissions taken ahead earlier and
-- not spent (the user's window moves back by as many intervals). When all `p_n` pass and the
-- window would still admit at least 128 more now, up to `p_ahead` more are taken, at most half
-- of what it would admit: a user with a smaller limit, or near it, is never admitted ahead
-- (its other servers could otherwise meet a window emptied by admissions still held);
-- `ahead` says how many were taken.
CREATE FUNCTION txstate_admit_ahead(p_user TEXT, p_interval BIGINT, p_slack BIGINT, p_n INT,
    p_ahead INT, p_returned INT, OUT admitted INT, OUT wait_us BIGINT, OUT ahead INT)
LANGUAGE plpgsql AS $$
DECLARE
    now_us BIGINT := (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT;
    t      BIGINT;
    step   BIGINT := GREATEST(p_interval, 0);
    spare  BIGINT;
BEGIN
    INSERT INTO throttle (api_key_id, tat) VALUES (p_user, now_us)
        ON CONFLICT (api_key_id) DO NOTHING;
    SELECT tat INTO t FROM throttle WHERE api_key_id = p_user FOR UPDATE;
    t := GREATEST(t - GREATEST(p_returned, 0) * step, now_us);
    -- Request k (from 0) passes when now_us >= t + k * p_interval - p_slack.
    IF now_us < t - p_slack THEN
        admitted := 0;
    ELSIF step = 0 THEN
        admitted := p_n;
    ELSE
        admitted := LEAST(p_n, (now_us + p_slack - t) / step + 1);
    END IF;
    t := t + admitted * step;
    ahead := 0;
    IF admitted = p_n AND p_ahead > 0 AND now_us >= t - p_slack THEN
        IF step = 0 THEN
            ahead := p_ahead;
        ELSE
            spare := (now_us + p_slack - t) / step + 1; -- what would still pass now
            IF spare >= 128 THEN
                ahead := LEAST(p_ahead, spare / 2);
            END IF;
        END IF;
        t := t + ahead * step;
    END IF;
    UPDATE throttle SET tat = t WHERE api_key_id = p_user;
    wait_us := CASE WHEN admitted < p_n THEN GREATEST(t - p_slack - now_us, 1) ELSE 0 END;
END $$;

CREATE OR REPLACE FUNCTION txstate_admit_many(p_user TEXT, p_interval BIGINT, p_slack BIGINT,
    p_n INT, OUT admitted INT, OUT wait_us BIGINT)
LANGUAGE sql AS $$
    SELECT admitted, wait_us FROM txstate_admit_ahead(p_user, p_interval, p_slack, p_n, 0, 0)
$$;
