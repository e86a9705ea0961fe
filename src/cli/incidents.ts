import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { UserFacingError } from '../errors.js';
import { silentLogger } from '../log.js';
import { exportFromStore } from '../postmortem/export.js';
import { createRunbookLookup, type RunbookLookup } from '../runbooks/lookup.js';
import { type Db, describeStore, openDb } from '../store/db.js';
import { listOpenIncidents } from '../store/incidents.js';
import { migrate } from '../store/migrate.js';

/** `incident-bot incidents export|list`: read incidents straight from the store. */
export function registerIncidentsCommand(program: Command): void {
  const incidents = program
    .command('incidents')
    .description('Read incidents from the store (same DATABASE_URL / INCIDENT_BOT_DATA as serve).');
  incidents
    .command('export')
    .description('Print an incident as a Markdown postmortem draft or as JSON.')
    .argument('<id>', 'incident number, e.g. 12 or INC-12')
    .option('-f, --format <format>', 'md or json', 'md')
    .addHelpText(
      'after',
      '\nExamples:\n  incident-bot incidents export 12 > inc-12.md\n  incident-bot incidents export INC-12 --format json | jq .durations',
    )
    .action(async (ref: string, opts: { format: string }) => {
      const id = Number(ref.replace(/^inc-?/i, ''));
      if (!Number.isInteger(id) || id <= 0)
        throw new UserFacingError(`"${ref}" is not an incident number (try 12 or INC-12).`);
      if (opts.format !== 'md' && opts.format !== 'json')
        throw new UserFacingError(`--format must be md or json, not "${opts.format}".`);
      await withStore(async (db, runbooks) => {
        process.stdout.write(`${await exportFromStore(db, id, { format: opts.format as 'md' | 'json', runbooks })}\n`);
      });
    });
  incidents
    .command('list')
    .description('Open incidents as JSON lines.')
    .action(async () => {
      await withStore(async (db, _runbooks, store) => {
        const open = await listOpenIncidents(db);
        // On stderr, so scripts reading the JSON lines get none; naming the store, as an empty list from the wrong
        // INCIDENT_BOT_DATA is a common surprise.
        if (!open.length) process.stderr.write(`No open incidents (${store}).\n`);
        for (const i of open)
          console.log(
            JSON.stringify({
              id: i.id,
              severity: i.severity,
              status: i.status,
              title: i.title,
              channel: i.channelName,
            }),
          );
      });
    });
}

async function withStore(fn: (db: Db, runbooks: RunbookLookup, store: string) => Promise<void>) {
  const config = loadConfig();
  const db = await openDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.INCIDENT_BOT_DATA,
    command: 'incidents',
  });
  try {
    await migrate(db);
    await fn(
      db,
      await createRunbookLookup(config.RUNBOOKS_DIR, silentLogger),
      describeStore(db, config.INCIDENT_BOT_DATA),
    );
  } finally {
    await db.close();
  }
}
