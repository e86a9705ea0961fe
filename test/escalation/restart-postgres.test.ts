import { afterAll, describe, it } from 'vitest';
import { dropSchemas } from '../helpers/db.js';
import { cleanup, restartScenario } from './fixtures/restart-scenario.js';

afterAll(cleanup);
afterAll(dropSchemas);
if (!process.env.DATABASE_URL) console.log('DATABASE_URL unset: the PostgreSQL kill -9 restart test is skipped');

describe.skipIf(!process.env.DATABASE_URL)('timer worker killed with -9 on postgres', () => {
  it('fires every due timer exactly once after a restart, late', () => restartScenario('postgres'));
});
