import { type RegistryInput, devRegistryInput } from '@wallet/assets';

/** The dev registry plus a listed USDT-like ERC20 (6 decimals) on eth at `contract`. */
export function devRegistryWithToken(contract: string): RegistryInput {
  return {
    ...devRegistryInput,
    assets: [
      ...devRegistryInput.assets,
      { id: 'USDT', chain: 'eth', decimals: 6, confirmations: 3, minWithdrawal: '1000000', withdrawalFee: '100000', contract },
    ],
  };
}
