/** Job and default parameters: a JSON object of scalar values, kept as strings (as notebook widgets see them). */
import { PARAMETER_NAME, type Checked, quote } from './names';

export const MAX_PARAMETERS = 100;
export const MAX_PARAMETER_VALUE_LENGTH = 4096;

export function parseParameters(json: string, field: string): Checked<Record<string, string>> {
  const bad = (why: string): Checked<Record<string, string>> => ({ ok: false, message: `${field} ${why}` });
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return bad('is not valid JSON: write a JSON object with double quotes, e.g. {"output": "gs://bucket/output/x"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('must be a JSON object of parameter names to values, e.g. {"country": "FR"}');
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_PARAMETERS) return bad(`has ${entries.length} parameters; the limit is ${MAX_PARAMETERS}`);
  const out: Record<string, string> = {};
  for (const [name, raw] of entries) {
    if (!PARAMETER_NAME.test(name)) {
      return bad(`has the parameter name ${quote(name)}: use letters, digits and '_', starting with a letter or '_'`);
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      return bad(`parameter "${name}" must be a string, number or boolean`);
    }
    const text = String(raw);
    if (text.length > MAX_PARAMETER_VALUE_LENGTH) {
      return bad(`parameter "${name}" is ${text.length} characters; the limit is ${MAX_PARAMETER_VALUE_LENGTH}`);
    }
    out[name] = text;
  }
  return { ok: true, value: out };
}
