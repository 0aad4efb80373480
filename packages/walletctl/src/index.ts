export { type Io, describeFailure, runWalletctl } from './walletctl.js';
