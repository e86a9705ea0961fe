/** Base class for errors whose message is safe and useful to show a user (CLI, Slack, HTTP). */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly code: string = 'user_error',
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Configuration that cannot start the process. */
export class ConfigError extends UserFacingError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, 'config_error', details);
  }
}

/** Input that failed validation; `field` names where, `line` when it came from a file. */
export class ValidationError extends UserFacingError {
  constructor(
    message: string,
    readonly field?: string,
    readonly line?: number,
  ) {
    super(message, 'validation_error', { field, line });
  }
}

/** Something that is not there (incident, runbook, channel). */
export class NotFoundError extends UserFacingError {
  constructor(message: string) {
    super(message, 'not_found');
  }
}

/** A state change the incident model does not allow. */
export class TransitionError extends UserFacingError {
  constructor(message: string) {
    super(message, 'invalid_transition');
  }
}

/** The actor lacks the role an action needs. */
export class PermissionError extends UserFacingError {
  constructor(
    message: string,
    readonly requiredRole: string,
  ) {
    super(message, 'forbidden', { requiredRole });
  }
}

/** Formats a zod error as "field: message" lines naming each bad field. */
export function formatZodIssues(issues: { path: (string | number)[]; message: string }[], prefix = ''): string {
  return issues
    .map((i) => {
      const path = i.path.length ? i.path.join('.') : '(root)';
      return `${prefix}${path}: ${i.message}`;
    })
    .join('; ');
}
