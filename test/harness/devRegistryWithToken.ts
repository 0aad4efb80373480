import { type RegistryInput, devRegistryInput } from '@wallet/assets';

/** A further listed ERC20 on eth, for tests of unusual tokens. */
export type ExtraToken = { readonly id: string; readonly contract: string; readonly decimals?: number };

/** The dev registry plus a listed USDT-like ERC20 (6 decimals) on eth at `contract`, and any `extra` tokens. */
export function devRegistryWithToken(contract: string, extra: readonly ExtraToken[] = []): RegistryInput {
  return {
    ...devRegistryInput,
    assets: [
      ...devRegistryInput.assets,
      { id: 'USDT', chain: 'eth', decimals: 6, confirmations: 3, minWithdrawal: '1000000', withdrawalFee: '100000', contract },
      ...extra.map((t) => ({
        id: t.id,
        chain: 'eth',
        decimals: t.decimals ?? 6,
        confirmations: 3,
        minWithdrawal: '1000000',
        withdrawalFee: '100000',
        contract: t.contract,
      })),
    ],
  };
}
