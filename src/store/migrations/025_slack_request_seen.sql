-- Slack requests already acted on: signatures (an identical signed request replayed) and event ids (a Slack
-- retry of an event). Shared by replicas so that a retry reaching another replica is not acted on twice.
CREATE TABLE IF NOT EXISTS slack_request_seen (
  key text PRIMARY KEY,
  seen_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_request_seen_at ON slack_request_seen (seen_at);
