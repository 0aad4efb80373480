import { AssetId, ChainId, PositiveBaseUnits } from '@wallet/assets';
import { ExternalId, ObjectId } from '@wallet/ids';
import { z } from 'zod';

// Every body is strict: unknown fields are refused, so nothing like status or fee can be mass-assigned.
export const CreateAccountBody = z.object({ externalId: ExternalId }).strict();
export const CreateAddressBody = z.object({ chain: ChainId }).strict();
export const TransferBody = z.object({ from: ObjectId, to: ObjectId, asset: AssetId, amount: PositiveBaseUnits }).strict();

export const AccountParams = z.object({ id: ObjectId }).strict();

const Limit = z
  .string()
  .regex(/^[0-9]{1,3}$/, 'limit must be an integer 1..200')
  .transform(Number)
  .pipe(z.number().int().min(1, 'limit must be an integer 1..200').max(200, 'limit must be an integer 1..200'));
const Cursor = z.string().min(1).max(200);

export const ListQuery = z.object({ limit: Limit.optional(), cursor: Cursor.optional() }).strict();
export const AddressListQuery = ListQuery.extend({ chain: ChainId.optional() }).strict();
export const LedgerQuery = ListQuery.extend({ asset: AssetId.optional() }).strict();
export const NoQuery = z.object({}).strict();
