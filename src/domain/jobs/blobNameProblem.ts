/** Characters no blob name of a job may hold: C0 and C1 controls (a log line or header could be forged). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * What is wrong with a blob name a job writes or reads, or null when it is a plain name. The
 * SDK appends the name to the container's URL, and URL parsing resolves `..` and `.` segments
 * (a backslash is a slash to it), so such a name would leave the container the job was allowed.
 */
export function blobNameProblem(name: string): string | null {
  if (name === '') return 'is empty: name a blob, or leave it out';
  if (name.length > 1024) return 'is longer than 1024 characters';
  if (name.startsWith('/')) return "may not start with '/': give a name inside the container";
  if (name.includes('\\')) return 'may not hold a backslash';
  if (CONTROL.test(name)) return 'may not hold control characters';
  if (name.split('/').some((s) => s === '.' || s === '..'))
    return "may not hold '.' or '..' path segments: give a name inside the container";
  if (name.endsWith('/') || name.endsWith('.')) return "may not end with '/' or '.'";
  return null;
}
