import { SignServiceService } from '@wallet/proto';
import { protoServiceMethods } from '@wallet/testkit';
import { describe, expect, it } from 'vitest';
import { signCallers } from './signCallers.js';

describe('signCallers, the authorization table of SignService', () => {
  it('lists every method of proto/wallet/v1/sign.proto and nothing else', () => {
    const listed = Object.keys(signCallers).map((name) => SignServiceService[name as keyof typeof SignServiceService]?.path ?? name);
    expect(listed.sort()).toEqual(protoServiceMethods('wallet/v1/sign.proto', 'SignService').sort());
  });
});
