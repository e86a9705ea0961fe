-- Where each incident's announcement (the message in INCIDENTS_CHANNEL) was posted, so later changes edit it in
-- place (chat.update needs the channel and the ts). The channel is kept with the ts: INCIDENTS_CHANNEL may be
-- changed later, and an old message can only be edited where it is. Incidents announced before this migration
-- have no row; their next change looks for the message once and otherwise posts a fresh one.
CREATE TABLE IF NOT EXISTS incident_announcements (
  incident_id integer PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
  channel_id text NOT NULL,
  ts text NOT NULL,
  posted_at timestamptz NOT NULL DEFAULT now()
);
