-- Escalation worker bookkeeping: a timer whose firing failed is retried later with backoff, never lost.
ALTER TABLE timers ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0;
ALTER TABLE timers ADD COLUMN IF NOT EXISTS retry_at timestamptz;
ALTER TABLE timers ADD COLUMN IF NOT EXISTS last_error text;
-- Next due timer. Matches nextDueAt's predicate exactly, so the plan stays an ordered index scan even
-- without statistics (PGlite never auto-analyzes; a bitmap scan + sort of 100,000 rows costs ~30 ms CPU).
CREATE INDEX IF NOT EXISTS timers_next ON timers (due_at) WHERE status = 'pending' AND retry_at IS NULL;
-- Next retry among failed timers, so the worker can sleep until then without scanning.
CREATE INDEX IF NOT EXISTS timers_retry ON timers (retry_at) WHERE status = 'pending' AND retry_at IS NOT NULL;
-- Pending timers of one incident (cancel on ack/resolve, header countdown).
CREATE INDEX IF NOT EXISTS timers_incident_pending ON timers (incident_id, due_at) WHERE status = 'pending';
