/**
 * Encodes a caller-controlled value for use inside a `:`-separated Redis key. encodeURIComponent escapes
 * `:`, so `client "a" + key "b:c"` and `client "a:b" + key "c"` can never name the same record.
 * @param value an id from a header or the database
 * @returns the value with `:` (and other reserved characters) percent-encoded
 */
export function keySegment(value: string): string {
  return encodeURIComponent(value);
}
