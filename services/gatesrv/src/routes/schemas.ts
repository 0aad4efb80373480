import { AssetId, ChainId, PositiveBaseUnits } from '@wallet/assets';
import { ClientMetadata, ClientReference, ExternalId, ObjectId, PageLimitQuery } from '@wallet/ids';
import { z } from 'zod';

// Request schemas: the routes validate with these and the OpenAPI document is generated from them.
// Every body is strict: unknown fields are refused, so nothing like status or fee can be mass-assigned.
export const CreateAccountBody = z.object({ externalId: ExternalId }).strict().meta({ id: 'CreateAccountRequest' });
export const CreateAddressBody = z.object({ chain: ChainId }).strict().meta({ id: 'CreateAddressRequest' });
/** The client's own reference and metadata of a withdrawal or a transfer (docs/api.md, References and metadata). */
const Reference = ClientReference.meta({
  description: 'Your own id for the request: 1-64 printable ASCII characters without spaces, unique among your transfers (or withdrawals).',
});
const Metadata = ClientMetadata.meta({
  description: 'String keys (1-40 characters) to string values (at most 500 characters), at most 20 keys and 2,048 bytes as JSON.',
});
export const TransferBody = z
  .object({
    from: ObjectId,
    to: ObjectId,
    asset: AssetId,
    amount: PositiveBaseUnits,
    reference: Reference.optional(),
    metadata: Metadata.optional(),
  })
  .strict()
  .meta({ id: 'CreateTransferRequest' });
// `to` is only bounded here (the longest address of any chain fits): its format, checksum and network are the
// asset's chain's to judge (INVALID_ADDRESS), which transrv does before it freezes anything.
export const CreateWithdrawalBody = z
  .object({
    asset: AssetId,
    to: z.string().min(1, 'to must be an address').max(100, 'to is too long for any address'),
    amount: PositiveBaseUnits,
    reference: Reference.optional(),
    metadata: Metadata.optional(),
  })
  .strict()
  .meta({ id: 'CreateWithdrawalRequest' });
/** A body with nothing to say (`{}`): still strict, so a client cannot slip a field in. */
export const EmptyBody = z.object({}).strict();

/** How long a payment request or a red packet stays open: whole seconds, 60 to 30 days. */
const ExpiresIn = z
  .number()
  .int('expiresIn must be a whole number of seconds')
  .min(60, 'expiresIn must be at least 60 seconds')
  .max(30 * 24 * 3600, 'expiresIn must be at most 30 days (2592000 seconds)');
export const CreatePaymentRequestBody = z
  .object({
    asset: AssetId,
    amount: PositiveBaseUnits.meta({ description: 'What is asked, in base units.' }),
    expiresIn: ExpiresIn.meta({ description: 'Seconds from now until the request expires (60 to 2,592,000).' }),
    metadata: Metadata.optional(),
  })
  .strict()
  .meta({ id: 'CreatePaymentRequestRequest' });

/** `equal` shares, or `random` ones (each at least one base unit). */
export const RedPacketMode = z.enum(['equal', 'random']).meta({ id: 'RedPacketMode' });
export const CreateRedPacketBody = z
  .object({
    from: ObjectId.meta({ description: 'The sending account: the total is frozen on it.' }),
    asset: AssetId,
    total: PositiveBaseUnits.meta({ description: 'What the shares add up to, in base units: at least `count`.' }),
    count: z
      .number()
      .int('count must be a whole number')
      .min(1, 'count must be at least 1')
      .max(1000, 'count must be at most 1000')
      .meta({ description: 'How many shares (1 to 1,000): how many accounts can claim.' }),
    mode: RedPacketMode,
    expiresIn: ExpiresIn.meta({ description: 'Seconds from now until what is unclaimed goes back to `from` (60 to 2,592,000).' }),
  })
  .strict()
  .meta({ id: 'CreateRedPacketRequest' });
export const ClaimRedPacketBody = z.object({ accountId: ObjectId }).strict().meta({ id: 'ClaimRedPacketRequest' });

export const AccountParams = z.object({ id: ObjectId }).strict();
export const WithdrawalParams = z.object({ id: ObjectId }).strict();
export const TransferParams = z.object({ id: ObjectId }).strict();

const Cursor = z.string().min(1).max(200);

export const ListQuery = z.object({ limit: PageLimitQuery.optional(), cursor: Cursor.optional() }).strict();
export const AddressListQuery = ListQuery.extend({ chain: ChainId.optional() }).strict();
export const LedgerQuery = ListQuery.extend({ asset: AssetId.optional() }).strict();
export const ReservesProofQuery = z.object({ asset: AssetId.meta({ description: 'A listed asset id (GET /v1/assets).' }) }).strict();
/** `order` of a list that has one: `desc` newest first (the default), `asc` oldest first. */
export const ListOrderQuery = z.enum(['desc', 'asc']).meta({ description: '`desc`: newest first (the default); `asc`: oldest first.' });
export const AccountListQuery = ListQuery.extend({
  externalId: ExternalId.optional().meta({ description: 'Only the account with this externalId (byte for byte): a list of one or none.' }),
  order: ListOrderQuery.optional(),
}).strict();
