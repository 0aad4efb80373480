import type { SignServiceService } from '@wallet/proto';
import { Caller, type MethodCallers } from '@wallet/rpc';

const { walletctl } = Caller;

/**
 * Who may call each SignService method (docs/operations-tls.md, Authorization). No service calls signsrv over gRPC:
 * transrv talks to it through Redis streams, auditors through its console over HTTP. The review methods are for
 * operator tooling holding the walletctl certificate (each call still carries an auditor's token).
 * A method with no caller in the code is closed ([]); opening one is a reviewed change of this table.
 */
export const signCallers: MethodCallers<typeof SignServiceService> = {
  // No caller today.
  getInfo: [],
  listReviews: [walletctl],
  approveWithdrawal: [walletctl],
  rejectWithdrawal: [walletctl],
  voidWithdrawal: [walletctl],
};
