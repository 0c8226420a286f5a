-- 0004: a request replayed by staff (admin API `POST /requests/{id}/replay`) is logged as a new
-- request that names the one it replays, so the original's page lists its replays and a bulk
-- replay skips requests a replay has already fixed.
ALTER TABLE request_log ADD COLUMN replay_of TEXT;
CREATE INDEX request_log_replay_of ON request_log (replay_of);
