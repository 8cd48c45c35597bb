// An enrolment link as pasted or scanned from the admin's QR code, e.g.
// `gridwalk://enroll?server=http://10.0.0.2:8080&code=ABCD-1234` (any URL or query string
// with `server` and `code`). A bare code is accepted as just the code.

export interface EnrolLink {
  server: string | null;
  code: string | null;
}

export function parseEnrolLink(text: string): EnrolLink {
  const value = text.trim();
  if (!value) return { server: null, code: null };
  const query = value.includes('?') ? value.slice(value.indexOf('?') + 1) : value;
  if (query.includes('=')) {
    const params = new URLSearchParams(query);
    const server = params.get('server')?.trim() || null;
    const code = params.get('code')?.trim() || null;
    if (server || code) return { server, code };
  }
  if (/^https?:\/\//.test(value)) return { server: value, code: null };
  return { server: null, code: value };
}
