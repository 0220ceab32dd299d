/**
 * Structured logs that Cloud Logging understands: one JSON object per line, with `severity`, `message` and
 * `time` as its special fields (https://cloud.google.com/logging/docs/structured-logging), plus context
 * fields such as `event_uuid`, `participant` and `pass_id`. Every entry goes through the Redactor, so no
 * secret reaches the output, whatever a caller passes. On a terminal the same entries print as text.
 */
import { Redactor, type RedactorOptions } from './redact';

export const SEVERITIES = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Context fields with a conventional meaning; any other JSON-able field may be added. */
export interface LogFields {
  event_uuid?: string;
  participant?: string;
  pass_id?: string;
  /** Shown by Cloud Logging as entry labels (string values only). */
  labels?: Record<string, string>;
  error?: unknown;
  [field: string]: unknown;
}

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  log(severity: Severity, message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every entry (e.g. `{ pass_id }`); shares redaction with its parent. */
  child(fields: LogFields): Logger;
  /** Registers a value that must never appear in any entry of this logger or its children. */
  registerSecret(value: string): void;
}

/** Where lines go: anything with `write(string)` (process.stdout, a test buffer). */
export interface LogStream {
  write(line: string): unknown;
  isTTY?: boolean;
}

export interface LoggerOptions {
  /** Entries below WARNING; default process.stdout. */
  stream?: LogStream;
  /** WARNING and ERROR entries; default: `stream` if given, else process.stderr. */
  errorStream?: LogStream;
  /** Entries below this severity are dropped; default INFO (DEBUG if CLEANROOM_LOG_LEVEL=DEBUG). */
  minSeverity?: Severity;
  /** Redaction settings; `env` defaults to process.env so e.g. DATABRICKS_TOKEN's value is never logged. */
  redact?: RedactorOptions;
  /** 'json' (Cloud Logging) or 'text' (people); default: text when the stream is a TTY, else json. */
  format?: 'json' | 'text';
  /** Clock, for tests. */
  now?: () => Date;
}

const LABELS_FIELD = 'logging.googleapis.com/labels';

export function parseSeverity(text: string | undefined): Severity | undefined {
  const upper = text?.trim().toUpperCase();
  return SEVERITIES.find((s) => s === upper);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const errorStream = options.errorStream ?? (options.stream ? options.stream : process.stderr);
  const sink: Sink = {
    stream,
    errorStream,
    minRank: SEVERITIES.indexOf(options.minSeverity ?? parseSeverity(process.env.CLEANROOM_LOG_LEVEL) ?? 'INFO'),
    format: options.format ?? (stream.isTTY ? 'text' : 'json'),
    redactor: new Redactor({ env: process.env, ...options.redact }),
    now: options.now ?? (() => new Date()),
  };
  return new StructuredLogger(sink, {});
}

interface Sink {
  stream: LogStream;
  errorStream: LogStream;
  minRank: number;
  format: 'json' | 'text';
  redactor: Redactor;
  now: () => Date;
}

class StructuredLogger implements Logger {
  constructor(
    private readonly sink: Sink,
    private readonly context: LogFields,
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.log('DEBUG', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('INFO', message, fields);
  }
  notice(message: string, fields?: LogFields): void {
    this.log('NOTICE', message, fields);
  }
  warning(message: string, fields?: LogFields): void {
    this.log('WARNING', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('ERROR', message, fields);
  }

  child(fields: LogFields): Logger {
    return new StructuredLogger(this.sink, mergeFields(this.context, fields));
  }

  registerSecret(value: string): void {
    this.sink.redactor.registerSecret(value);
  }

  log(severity: Severity, message: string, fields: LogFields = {}): void {
    if (SEVERITIES.indexOf(severity) < this.sink.minRank) return;
    const entry = this.buildEntry(severity, message, mergeFields(this.context, fields));
    const line = this.sink.format === 'json' ? safeStringify(entry) : formatText(entry);
    const target = severity === 'WARNING' || severity === 'ERROR' ? this.sink.errorStream : this.sink.stream;
    try {
      target.write(line + '\n');
    } catch {
      // A closed stream must not turn logging into a crash.
    }
  }

  private buildEntry(severity: Severity, message: string, fields: LogFields): Record<string, unknown> {
    const { labels, ...rest } = fields;
    const redacted = this.sink.redactor.redactValue(rest);
    const entry: Record<string, unknown> = {
      severity,
      message: this.sink.redactor.redactText(message),
      time: this.sink.now().toISOString(),
      ...(redacted as Record<string, unknown>),
    };
    // An Error's stack in `stack_trace` lets Error Reporting group it.
    const error = entry.error as { stack?: unknown } | undefined;
    if (severity === 'ERROR' && error && typeof error.stack === 'string') entry.stack_trace = error.stack;
    if (labels && Object.keys(labels).length > 0) {
      entry[LABELS_FIELD] = this.sink.redactor.redactValue(labels);
    }
    return entry;
  }
}

function mergeFields(base: LogFields, extra: LogFields): LogFields {
  const merged: LogFields = { ...base, ...extra };
  if (base.labels || extra.labels) merged.labels = { ...base.labels, ...extra.labels };
  return merged;
}

function safeStringify(entry: Record<string, unknown>): string {
  try {
    return JSON.stringify(entry);
  } catch {
    return JSON.stringify({ severity: entry.severity, message: entry.message, time: entry.time });
  }
}

function formatText(entry: Record<string, unknown>): string {
  const { severity, message, time, stack_trace: _stack, ...rest } = entry;
  const extras = Object.entries(rest)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const clock = String(time).slice(11, 23);
  return `${clock} ${String(severity).padEnd(7)} ${String(message)}${extras ? '  ' + extras : ''}`;
}
