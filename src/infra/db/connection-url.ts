// A DATABASE_URL's secrets: the password of `user:password@` and, as libpq and node-postgres both take
// them, the `password` and `sslpassword` query parameters (their names percent-encoded or not).
// Whatever shows a URL (config show, db status, logs, errors) masks them; a child process (pg_dump,
// pg_restore, psql) gets the password in its environment and never on its command line.

const MASK = '********';
const SECRET_PARAMETERS = new Set(['password', 'sslpassword']);
const isSecret = (name: string) => SECRET_PARAMETERS.has(name.toLowerCase());

/** The URL with its password and secret parameters masked; an unreadable URL, masked whole. */
export function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    for (const name of [...parsed.searchParams.keys()]) if (isSecret(name)) parsed.searchParams.set(name, MASK);
    return parsed.toString();
  } catch {
    return MASK;
  }
}

/** The URL without its secrets, and the password libpq would use (a `password` parameter wins over `user:password@`). */
export function withoutSecrets(url: string): { url: string; password: string | undefined; secretParameters: string[] } {
  const parsed = new URL(url);
  const userinfo = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  const names = [...parsed.searchParams.keys()];
  const password = parsed.searchParams.get('password') ?? userinfo;
  const secretParameters = [...new Set(names.filter(isSecret))];
  for (const name of secretParameters) parsed.searchParams.delete(name);
  return { url: parsed.toString(), password: password || undefined, secretParameters };
}
