// The typed commands and events generated from Rust (bindings.ts), plus how the UI words
// their errors. Commands throw a `CommandError` ({kind, message}); framework failures (a
// denied permission, a missing command) throw a plain string.
import { commands, events } from './bindings';
import type { CommandError, ErrorKind } from './bindings';
import { tr } from './i18n';

export { commands, events };

export function isCommandError(error: unknown): error is CommandError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as CommandError).kind === 'string' &&
    typeof (error as CommandError).message === 'string'
  );
}

/** The kind of a thrown error (`internal` for anything that is not a command error). */
export function errorKind(error: unknown): ErrorKind {
  return isCommandError(error) ? error.kind : 'internal';
}

/** One plain-language sentence for the person holding the device. */
export function errorText(error: unknown): string {
  return tr(`error.${errorKind(error)}`);
}

/** The technical details, for a "details" line under the plain sentence. */
export function errorDetail(error: unknown): string {
  if (isCommandError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
