-- 0003: the x-request-id each logged request was answered with, so that a request id from a
-- partner's or a proxy's log finds the request.
ALTER TABLE request_log ADD COLUMN request_id TEXT;
CREATE INDEX request_log_request_id ON request_log (request_id);
