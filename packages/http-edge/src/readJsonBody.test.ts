import { describe, expect, it } from 'vitest';
import { readJsonBody } from './readJsonBody.js';

const json = 'application/json';
const b = (s: string) => Buffer.from(s, 'utf8');

describe('readJsonBody', () => {
  it('parses JSON sent as JSON', () => {
    expect(readJsonBody(b('{"a":1}'), json)).toEqual({ a: 1 });
    expect(readJsonBody(b('{"a":1}'), 'application/json; charset=utf-8')).toEqual({ a: 1 });
    expect(readJsonBody(b('{"a":1}'), 'Application/JSON;charset="UTF-8"')).toEqual({ a: 1 });
  });

  it('reads an empty body as no body', () => {
    expect(readJsonBody(Buffer.alloc(0), undefined)).toBeUndefined();
    expect(readJsonBody(undefined, json)).toBeUndefined();
  });

  it.each([undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/jsonp'])(
    'refuses a body sent as %s with 415',
    (type) => {
      expect(() => readJsonBody(b('{"a":1}'), type)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
    },
  );

  it('refuses an empty body declared as another media type', () => {
    expect(() => readJsonBody(Buffer.alloc(0), 'text/plain')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_MEDIA_TYPE' }));
  });

  it.each([
    ['invalid JSON', b('{"a":')],
    ['duplicate keys', b('{"amount":"1","amount":"1000"}')],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])],
  ])('refuses %s with VALIDATION_FAILED issues', (_what, raw) => {
    try {
      readJsonBody(raw, json);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: [{ field: 'body' }] } });
    }
  });
});
