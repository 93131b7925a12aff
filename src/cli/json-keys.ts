// --json speaks camelCase at every depth, whatever the rows it prints call their columns. Only field
// names change: a key in snake_case ("patient_number") becomes "patientNumber"; a key that is data
// (a date, an id, an environment variable's name) never looks like that and is left alone. An object
// whose keys are all data that may look like field names (a backup's table names, an audit entry's
// stored row) is marked with `keysAreData`, and keeps its keys; its values are still converted.

const SNAKE_CASE_FIELD = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
const dataKeyed = new WeakSet<object>();

/** Marks `record` (when it is an object) as keyed by data, names rather than fields: its keys are printed as they are. */
export function keysAreData<T>(record: T): T {
  if (record !== null && typeof record === 'object') dataKeyed.add(record);
  return record;
}

/** "patient_number" → "patientNumber"; any other key unchanged. */
export function camelCaseKey(key: string): string {
  return SNAKE_CASE_FIELD.test(key) ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) : key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `value` with every field name camelCase, at every depth; Dates and other objects are left to JSON.stringify. */
export function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (!isPlainObject(value)) return value;
  const keep = dataKeyed.has(value);
  return Object.fromEntries(Object.entries(value).map(([key, v]) => [keep ? key : camelCaseKey(key), camelCaseKeys(v)]));
}
