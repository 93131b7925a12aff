// Log lines carry a level, so ROSHNI_LOG_LEVEL can keep routine lines (a message held for quiet
// hours) out of the way of warnings (a send that failed). A line without one is 'info'.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Log = (line: string, level?: LogLevel) => void;

const RANK: Record<LogLevel | 'silent', number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Whether a line at `level` is written when the configured level is `threshold`. */
export const shownAt = (threshold: LogLevel | 'silent', level: LogLevel = 'info'): boolean => RANK[level] >= RANK[threshold];
