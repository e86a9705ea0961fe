import type { Logger } from '../log.js';
import {
  type Component,
  incidentLogFields,
  type PublishResult,
  type StatusPageProvider,
  StatusUpdate,
} from './provider.js';

/** Records updates in memory and logs them: local mode and tests, where no status page is configured. */
export class LogStatusPage implements StatusPageProvider {
  readonly name = 'log';
  private readonly updates: StatusUpdate[] = [];
  private next = 1;

  constructor(
    private readonly logger: Logger,
    private readonly fixedComponents: Component[] = [],
  ) {}

  async publish(input: StatusUpdate): Promise<PublishResult> {
    const u = StatusUpdate.parse(input);
    this.updates.push(structuredClone(u));
    const id = u.existingId ?? `log-${this.next++}`;
    this.logger.info(
      {
        provider: this.name,
        ...incidentLogFields(u.incidentRef),
        statuspageId: id,
        status: u.status,
        components: u.components,
      },
      'status page update recorded (log provider: nothing published)',
    );
    return { id, url: null };
  }

  async components(): Promise<Component[]> {
    return this.fixedComponents.map((c) => ({ ...c }));
  }

  /** Every update recorded, oldest first. */
  published(): StatusUpdate[] {
    return this.updates.map((u) => structuredClone(u));
  }
}
