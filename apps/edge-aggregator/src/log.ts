/**
 * Structured logs: one JSON object per line on stdout (errors on stderr), with time, level, message
 * and fields, so a log shipper reads them as they are and a person can still follow them.
 */
export type LogFields = Record<string, unknown>;

export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function createLog(component: string, level: 'info' | 'debug' = 'info'): Log {
  const write = (severity: string, message: string, fields: LogFields | undefined, stream: NodeJS.WriteStream) => {
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: severity, component, message, ...fields })}\n`,
    );
  };
  return {
    debug: (message, fields) => {
      if (level === 'debug') write('debug', message, fields, process.stdout);
    },
    info: (message, fields) => write('info', message, fields, process.stdout),
    warn: (message, fields) => write('warn', message, fields, process.stdout),
    error: (message, fields) => write('error', message, fields, process.stderr),
  };
}
