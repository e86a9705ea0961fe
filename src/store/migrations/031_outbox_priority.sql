-- Outbox priorities and cheap claiming with a deep backlog (issue 17).
--
-- priority: 0 pings and pages ... 4 announcements (outbox/priority.ts); claim takes lower numbers first.
-- head: NULL = not yet placed (every new row), true = the oldest open row of its ordering key (claimable),
--   false = waits behind an older open row. Finishing a row makes the next open row of its key the head
--   (store/outbox.ts), so a claim reads only heads instead of sorting every open row.
-- claim_priority: on a head, the lowest priority among the open rows of its key, so a ping queued behind a
--   header refresh lifts the whole key.
-- coalesce_key: at most one pending row per key (header refreshes); cleared when the row is claimed.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS priority smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 0 AND 4);
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS claim_priority smallint NOT NULL DEFAULT 2 CHECK (claim_priority BETWEEN 0 AND 4);
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS head boolean;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS coalesce_key text;

-- Existing rows: the priorities of outbox/priority.ts as of this migration (new rows get theirs there).
UPDATE outbox o SET priority = CASE
    WHEN o.op IN ('slack.escalationPing', 'pagerduty.send') THEN 0
    WHEN o.op IN ('slack.pingTaken', 'slack.statuspageOutcome', 'slack.file', 'statuspage.publish') THEN 1
    WHEN o.op IN ('slack.createChannel', 'slack.setupChannel', 'slack.postHeader', 'slack.postRunbook')
      AND (SELECT i.severity FROM incidents i WHERE i.id = o.incident_id) IN ('P1', 'P2') THEN 1
    WHEN o.op = 'slack.updateHeader' THEN 3
    WHEN o.op LIKE 'slack.announce%' OR o.op IN ('slack.digest', 'slack.postIncidents') THEN 4
    ELSE 2 END
  WHERE o.status IN ('pending', 'inflight');

-- Existing open rows: the oldest of each key is its head, carrying the lowest priority of its key.
UPDATE outbox o SET head = (o.id = k.first_id), claim_priority = CASE WHEN o.id = k.first_id THEN k.top ELSE o.priority END
  FROM (SELECT ordering_key, min(id) AS first_id, min(priority) AS top FROM outbox
        WHERE status IN ('pending', 'inflight') GROUP BY ordering_key) k
  WHERE o.ordering_key = k.ordering_key AND o.status IN ('pending', 'inflight');

-- Claimable heads in claim order; rows still to be placed; leases to take over; the lowest priority of a key.
CREATE INDEX IF NOT EXISTS outbox_claim ON outbox (claim_priority, next_attempt_at, id) WHERE head AND status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_unplaced ON outbox (id) WHERE head IS NULL AND status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_lease ON outbox (locked_until) WHERE status = 'inflight';
CREATE INDEX IF NOT EXISTS outbox_heads ON outbox (ordering_key) WHERE head AND status IN ('pending', 'inflight');
CREATE INDEX IF NOT EXISTS outbox_open_priority ON outbox (ordering_key, priority) WHERE status IN ('pending', 'inflight');
CREATE UNIQUE INDEX IF NOT EXISTS outbox_coalesce ON outbox (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL;
