import { isWalletError } from '@wallet/errors';
import { AlertCause } from '@wallet/withdrawal-protocol';

/** An alarm's `details` for a failed build or a refused send: its cause, and the facts an operator needs. */
export type RefusalDetails = { readonly cause: AlertCause } & Record<string, unknown>;

/**
 * Why an approved withdrawal's transaction could not be built (gas estimate, coin selection, fees), as the operator's
 * cause: the families' errors carry generic codes (a failed gas estimate is VALIDATION_FAILED with
 * `details.reason`), which say nothing to an operator on their own.
 */
export function buildFailureDetails(error: unknown): RefusalDetails {
  const facts = factsOf(error);
  if (isWalletError(error, 'VALIDATION_FAILED') && error.details['reason'] === 'insufficient_funds') {
    return { cause: AlertCause.insufficientHotWalletFunds, ...facts };
  }
  if (isWalletError(error, 'INSUFFICIENT_FUNDS')) {
    // UTXO coin selection: the wallet's spendable outputs do not cover the payment and its fee
    return {
      cause: AlertCause.insufficientHotWalletFunds,
      ...facts,
      available: error.details['available'],
      needed: error.details['needed'],
    };
  }
  if (isWalletError(error, 'VALIDATION_FAILED') && error.details['reason'] === 'execution_reverted') {
    return { cause: AlertCause.gasEstimateFailed, ...facts };
  }
  if (isWalletError(error, 'UNAVAILABLE') && error.details['cap'] !== undefined) {
    return { cause: AlertCause.feeAboveCap, ...facts, baseFeePerGas: error.details['baseFeePerGas'], cap: error.details['cap'] };
  }
  if (isWalletError(error, 'UNAVAILABLE') || isWalletError(error, 'TIMEOUT')) return { cause: AlertCause.nodeUnavailable, ...facts };
  if (isWalletError(error, 'AMOUNT_TOO_SMALL')) return { cause: AlertCause.amountBelowDust, ...facts };
  if (isWalletError(error, 'UNSUPPORTED_CHAIN')) return { cause: AlertCause.chainNotServed, ...facts };
  return unexpected(error, facts);
}

/** Why the node refused a signed transaction (it said so on send), as the operator's cause. */
export function sendRefusalDetails(error: unknown): RefusalDetails {
  const facts = factsOf(error);
  if (isWalletError(error) && error.details['reason'] === 'insufficient_funds')
    return { cause: AlertCause.insufficientHotWalletFunds, ...facts };
  if (isWalletError(error, 'VALIDATION_FAILED')) return { cause: AlertCause.nodeRejected, ...facts };
  return unexpected(error, facts);
}

/** The error's message and, when a node answered, what it said (both capped: details are shown, not stored raw). */
function factsOf(error: unknown): Record<string, unknown> {
  const nodeMessage = isWalletError(error) ? error.details['rpcMessage'] : undefined;
  return {
    message: error instanceof Error ? error.message.slice(0, 200) : 'unknown',
    ...(typeof nodeMessage === 'string' ? { nodeMessage: nodeMessage.slice(0, 200) } : {}),
  };
}

function unexpected(error: unknown, facts: Record<string, unknown>): RefusalDetails {
  return { cause: AlertCause.unexpected, errorCode: isWalletError(error) ? error.code : 'INTERNAL', ...facts };
}
