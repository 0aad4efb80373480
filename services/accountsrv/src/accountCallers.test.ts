import { AccountServiceService } from '@wallet/proto';
import { protoServiceMethods } from '@wallet/testkit';
import { describe, expect, it } from 'vitest';
import { accountCallers } from './accountCallers.js';

describe('accountCallers, the authorization table of AccountService', () => {
  it('lists every method of proto/wallet/v1/account.proto and nothing else', () => {
    const listed = Object.keys(accountCallers).map(
      (name) => AccountServiceService[name as keyof typeof AccountServiceService]?.path ?? name,
    );
    expect(listed.sort()).toEqual(protoServiceMethods('wallet/v1/account.proto', 'AccountService').sort());
  });
});
