-- 0005: the index of replays holds only replays (most requests replay nothing, and each of
-- their log rows paid for an index entry that no query reads). Queries name `replay_of = ...`,
-- which the partial index serves.
DROP INDEX request_log_replay_of;
CREATE INDEX request_log_replay_of ON request_log (replay_of) WHERE replay_of IS NOT NULL;
