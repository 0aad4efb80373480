// The sandbox commands' usage, apart from their code, so `walletctl --help` does not load the chain libraries.
export const devUsage = `  dev fund --chain CHAIN --address ADDRESS --amount AMOUNT [--asset ASSET] [--base-units] [--json]
                                        development chains only: pay a deposit address from the node's funded
                                        account (EVM: its last unlocked one, or --from) or wallet (UTXO: --node-wallet,
                                        default miner); AMOUNT in the asset's unit (1.5 ETH) unless --base-units;
                                        ASSET defaults to the chain's coin (an ERC20 listed on the chain: --asset USDT);
                                        prints the txid
  dev mine --chain CHAIN --blocks N [--json]
                                        development chains only: mine N blocks (1..10000; litecoind: crossing the
                                        MWEB activation at 432 with its peg-in)
  dev where --deposit ID|TXID | --withdrawal ID|TXID | --txid TXID [--chain CHAIN] [--json]
                                        where a deposit or withdrawal is: status, confirmations counted and required,
                                        its block, the review, and what happens next (read from MySQL and the chain)
  dev api METHOD PATH [--body JSON] [--idempotency-key KEY]
                                        send one request to gatesrv signed with WALLET_KEY_ID / WALLET_SECRET
                                        (WALLET_URL, default http://127.0.0.1:8080); prints the answer's body,
                                        its status and a POST's Idempotency-Key on stderr; exit 1 unless 2xx
      dev commands default to the local stack (deploy/local/stack.sh): anvil for eth, litecoind for ltc (or
      WALLET_CHAIN_RPC), the registry of WALLET_ASSETS, database wallet when MYSQL_URL names none. They refuse a chain
      the registry does not call regtest, an EVM node with a public chain id or another chain id than the registry's
      or that is not anvil/Hardhat/Ganache, and a UTXO node that is not on regtest.
`;
