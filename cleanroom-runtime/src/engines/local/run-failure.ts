/**
 * A run that ends FAILED: `message` is for the participant (becomes the run's error), `trace` for the operator
 * (error_trace). Both are scrubbed of the host's local root before they are recorded.
 */
export class RunFailure extends Error {
  constructor(message: string, readonly trace?: string) {
    super(message);
    this.name = 'RunFailure';
  }
}

/** Replaces the host path of the local root so errors show `<local root>/...` instead of the machine layout. */
export function scrubHostPaths(text: string, localRoot: string): string {
  if (!localRoot) return text;
  const root = localRoot.replace(/[/\\]+$/, '');
  return text.split(root).join('<local root>');
}

/** A run stopped at its time limit: it ends TIMEDOUT (as Databricks reports a run over its timeout). */
export class RunTimedOut extends RunFailure {
  constructor(message: string) {
    super(message);
    this.name = 'RunTimedOut';
  }
}
