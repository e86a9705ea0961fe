import { afterAll, describe, it } from 'vitest';
import { cleanup, restartScenario } from './fixtures/restart-scenario.js';

afterAll(cleanup);

describe('timer worker killed with -9 on pglite (file storage)', () => {
  it('fires every due timer exactly once after a restart, late', () => restartScenario('pglite'));
});
