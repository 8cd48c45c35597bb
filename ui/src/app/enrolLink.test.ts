import { describe, expect, it } from 'vitest';
import { parseEnrolLink } from './enrolLink';

describe('enrolment links', () => {
  it('reads server and code from a link', () => {
    expect(parseEnrolLink('gridwalk://enroll?server=http://10.0.0.2:8080&code=ABCD-1234')).toEqual({
      server: 'http://10.0.0.2:8080',
      code: 'ABCD-1234',
    });
    expect(parseEnrolLink(' server=https://gw.example&code=X1 ')).toEqual({ server: 'https://gw.example', code: 'X1' });
  });

  it('takes a bare code as the code and a bare URL as the server', () => {
    expect(parseEnrolLink('ABCD-1234')).toEqual({ server: null, code: 'ABCD-1234' });
    expect(parseEnrolLink('http://10.0.0.2:8080')).toEqual({ server: 'http://10.0.0.2:8080', code: null });
    expect(parseEnrolLink('  ')).toEqual({ server: null, code: null });
  });
});
