-- 0006: the notification history keeps no index by key. Nothing reads it by key (it is the
-- audit trail of every outcome a report had); its index put each notification's entry on a
-- random page, one more 4 KiB frame of write-ahead log per notification under load
-- (docs/benchmarks.md). An operator who queries a key's history often can create one.
DROP INDEX IF EXISTS notification_history_key;
