import { describe, expect, it } from 'vitest';
import { invalidDestination } from './screenDestination.js';

describe('invalidDestination', () => {
  it('is INVALID_DESTINATION with the reason and the address, never the role of an operated address', () => {
    const error = invalidDestination('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 'operated_address');
    expect(error.code).toBe('INVALID_DESTINATION');
    expect(error.details).toEqual({ field: 'to', to: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', reason: 'operated_address' });
  });
});
