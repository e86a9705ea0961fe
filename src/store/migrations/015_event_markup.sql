-- Timeline events used to store Slack mrkdwn in `text` (escaped alert text, <@U…> mentions). New events
-- store plain text plus structured `data` and leave `markup` NULL; rows written before keep 'mrkdwn', so
-- the readers (incidents/timeline.ts) know to translate them. No UPDATE: the table is append-only.
ALTER TABLE incident_events ADD COLUMN IF NOT EXISTS markup text DEFAULT 'mrkdwn';
ALTER TABLE incident_events ALTER COLUMN markup DROP DEFAULT;
