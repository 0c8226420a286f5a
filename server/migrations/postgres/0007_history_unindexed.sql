-- 0007: the notification history keeps no index by key, as on SQLite (its 0006): nothing
-- reads it by key (it is the audit trail of every outcome a report had), and its index put
-- each notification's entry on a random page. An operator who queries a key's history often
-- can create one.
DROP INDEX IF EXISTS notification_history_key;
