import { TransServiceService } from '@wallet/proto';
import { protoServiceMethods } from '@wallet/testkit';
import { describe, expect, it } from 'vitest';
import { transCallers } from './transCallers.js';

describe('transCallers, the authorization table of TransService', () => {
  it('lists every method of proto/wallet/v1/trans.proto and nothing else', () => {
    const listed = Object.keys(transCallers).map((name) => TransServiceService[name as keyof typeof TransServiceService]?.path ?? name);
    expect(listed.sort()).toEqual(protoServiceMethods('wallet/v1/trans.proto', 'TransService').sort());
  });
});
