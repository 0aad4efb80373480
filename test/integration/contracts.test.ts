import { readdirSync } from 'node:fs';
import {
  type JsonRpcProvider,
  type Log,
  type TransactionReceipt,
  type TransactionResponse,
  Wallet,
  id,
  parseEther,
  zeroPadValue,
} from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANVIL_CHAIN_ID,
  ANVIL_RPC_URL,
  anvilDeployer,
  anvilProvider,
  deployEtherForwarder,
  deployFalseReturningToken,
  deployReverter,
  deploySpoofEmitter,
  deployTaxedToken,
  deployTestToken,
  sendFailingTx,
  type TestToken,
  mined,
} from '../contracts/deploy.js';
import { CONTRACT_NAMES, loadArtifact, sourcesDir } from '../contracts/loadArtifact.js';

// The fixtures the deposit scanner's tests deploy, checked here for exactly the behaviour those tests rely on.

const TRANSFER_TOPIC = id('Transfer(address,address,uint256)');
const USDT = { name: 'Tether USD', symbol: 'USDT', decimals: 6 };

let provider: JsonRpcProvider;
let deployer: Wallet;
let token: TestToken;

/** A fresh address: its balances start at zero however many times anvil has run these tests. */
const freshAddress = () => Wallet.createRandom().address;
const topicOf = (address: string) => zeroPadValue(address, 32).toLowerCase();

/** The receipt of a transaction that must succeed (status 1). */
async function succeeded(tx: Promise<TransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await mined(tx);
  expect(receipt.status).toBe(1);
  return receipt;
}

function onlyLog(receipt: TransactionReceipt): Log {
  expect(receipt.logs).toHaveLength(1);
  return receipt.logs[0]!;
}

beforeAll(async () => {
  provider = anvilProvider();
  const chainId = await provider.send('eth_chainId', []).catch((cause: unknown) => {
    throw new Error(`anvil is not answering at ${ANVIL_RPC_URL}: start it with bash deploy/local/stack.sh up`, { cause });
  });
  expect(BigInt(chainId as string)).toBe(BigInt(ANVIL_CHAIN_ID));
  deployer = anvilDeployer(provider);
  token = await deployTestToken(deployer, USDT);
  await succeeded(token.mint(deployer.address, 1_000_000_000n));
});

afterAll(() => provider?.destroy());

describe('artifacts', () => {
  it('one committed artifact per source, compiled from the source as it is', () => {
    const sources = readdirSync(sourcesDir)
      .filter((f) => f.endsWith('.sol'))
      .map((f) => f.slice(0, -'.sol'.length));
    expect([...CONTRACT_NAMES].sort()).toEqual(sources.sort());
    // loadArtifact throws on a malformed or stale artifact.
    for (const name of CONTRACT_NAMES) expect(loadArtifact(name).contractName).toBe(name);
  });
});

describe('TestToken, the listed token', () => {
  it('has the metadata it was deployed with', async () => {
    expect([await token.name(), await token.symbol(), await token.decimals()]).toEqual([USDT.name, USDT.symbol, 6n]);
  });

  it('transfer moves the balance and logs Transfer(from, to, value) from the token address', async () => {
    const to = freshAddress();
    expect(await token.transfer.staticCall(to, 250_000_000n)).toBe(true);
    const before = await token.balanceOf(deployer.address);
    const log = onlyLog(await succeeded(token.transfer(to, 250_000_000n)));
    expect(log.address).toBe(await token.getAddress());
    expect(log.topics).toEqual([TRANSFER_TOPIC, topicOf(deployer.address), topicOf(to)]);
    expect(BigInt(log.data)).toBe(250_000_000n);
    expect(await token.balanceOf(to)).toBe(250_000_000n);
    expect(await token.balanceOf(deployer.address)).toBe(before - 250_000_000n);
  });

  it('transferFrom spends the allowance and logs Transfer like transfer does', async () => {
    const to = freshAddress();
    await succeeded(token.approve(deployer.address, 5n));
    const log = onlyLog(await succeeded(token.transferFrom(deployer.address, to, 3n)));
    expect(token.interface.parseLog(log)?.args.toArray()).toEqual([deployer.address, to, 3n]);
    expect(await token.allowance(deployer.address, deployer.address)).toBe(2n);
    expect(await token.balanceOf(to)).toBe(3n);
  });

  it('a mint logs Transfer from the zero address', async () => {
    const to = freshAddress();
    const log = onlyLog(await succeeded(token.mint(to, 7n)));
    expect(log.topics).toEqual([TRANSFER_TOPIC, topicOf('0x0000000000000000000000000000000000000000'), topicOf(to)]);
  });
});

describe('a look-alike: a second TestToken with the same name and symbol', () => {
  it('differs from the listed token in its address alone', async () => {
    const fake = await deployTestToken(deployer, USDT);
    expect(await fake.getAddress()).not.toBe(await token.getAddress());
    expect([await fake.name(), await fake.symbol(), await fake.decimals()]).toEqual([USDT.name, USDT.symbol, 6n]);

    const to = freshAddress();
    await succeeded(fake.mint(deployer.address, 10n));
    const fakeLog = onlyLog(await succeeded(fake.transfer(to, 10n)));
    const realLog = onlyLog(await succeeded(token.transfer(to, 10n)));
    expect({ topics: fakeLog.topics, data: fakeLog.data }).toEqual({ topics: realLog.topics, data: realLog.data });
    expect(fakeLog.address).toBe(await fake.getAddress());
  });
});

describe('SpoofEmitter', () => {
  it('emitTransfer logs a Transfer with arbitrary fields, from its own address, moving nothing', async () => {
    const spoof = await deploySpoofEmitter(deployer);
    const [from, to] = [freshAddress(), freshAddress()];
    const log = onlyLog(await succeeded(spoof.emitTransfer(from, to, 10n ** 24n)));
    expect(log.address).toBe(await spoof.getAddress());
    expect(token.interface.parseLog(log)?.args.toArray()).toEqual([from, to, 10n ** 24n]);
    expect(await token.balanceOf(to)).toBe(0n);
  });

  it("emitTransferAs copies the listed token's log and metadata; log.address still gives it away", async () => {
    const spoof = await deploySpoofEmitter(deployer);
    const to = freshAddress();
    const realLog = onlyLog(await succeeded(token.transfer(to, 5n)));
    const spoofLog = onlyLog(await succeeded(spoof.emitTransferAs(await token.getAddress(), deployer.address, to, 5n)));
    expect({ topics: spoofLog.topics, data: spoofLog.data }).toEqual({ topics: realLog.topics, data: realLog.data });
    expect(spoofLog.address).toBe(await spoof.getAddress());
    expect(spoofLog.address).not.toBe(realLog.address);
    expect([await spoof.name(), await spoof.symbol(), await spoof.decimals()]).toEqual([USDT.name, USDT.symbol, 6n]);
    expect(await token.balanceOf(to)).toBe(5n); // the real transfer only
  });
});

describe('FalseReturningToken', () => {
  it('transfer returns false, and a sent transfer succeeds with no log and no balance change', async () => {
    const bad = await deployFalseReturningToken(deployer, USDT);
    await succeeded(bad.mint(deployer.address, 100n));
    const to = freshAddress();
    expect(await bad.transfer.staticCall(to, 40n)).toBe(false);
    expect(await bad.transferFrom.staticCall(deployer.address, to, 40n)).toBe(false);

    const receipt = await succeeded(bad.transfer(to, 40n));
    expect(receipt.to).toBe(await bad.getAddress());
    expect(receipt.logs).toEqual([]);
    expect(await bad.refusedTransfers()).toBe(1n); // the refusing code did run
    expect([await bad.balanceOf(deployer.address), await bad.balanceOf(to)]).toEqual([100n, 0n]);
  });
});

describe('TaxedToken', () => {
  it('a transfer takes the full value, delivers 1 % less and logs what it delivered', async () => {
    const taxed = await deployTaxedToken(deployer, { name: 'Taxed', symbol: 'TAX', decimals: 6 });
    await succeeded(taxed.mint(deployer.address, 1_000_000n));
    const to = freshAddress();
    const receipt = await succeeded(taxed.transfer(to, 250_000n));
    const log = onlyLog(receipt);
    expect(log.address).toBe(await taxed.getAddress());
    expect(log.topics).toEqual([TRANSFER_TOPIC, topicOf(deployer.address), topicOf(to)]);
    expect(BigInt(log.data)).toBe(247_500n);
    expect([await taxed.balanceOf(deployer.address), await taxed.balanceOf(to), await taxed.totalSupply()]).toEqual([
      750_000n,
      247_500n,
      997_500n,
    ]);
  });
});

describe('EtherForwarder', () => {
  it('moves ETH to the target through an internal call of a transaction addressed to the forwarder', async () => {
    const forwarder = await deployEtherForwarder(deployer);
    const to = freshAddress();
    const receipt = await succeeded(forwarder.forward(to, { value: parseEther('1.5') }));
    const tx = await provider.getTransaction(receipt.hash);
    expect(tx?.to).toBe(await forwarder.getAddress());
    expect(tx?.value).toBe(parseEther('1.5'));
    expect(receipt.logs).toEqual([]);
    expect(await provider.getBalance(to, receipt.blockNumber - 1)).toBe(0n);
    expect(await provider.getBalance(to, receipt.blockNumber)).toBe(parseEther('1.5'));
    expect(await provider.getBalance(await forwarder.getAddress())).toBe(0n);

    // The transfer is visible in a call trace, which is where a scanner finds internal ETH transfers.
    const trace = (await provider.send('debug_traceTransaction', [receipt.hash, { tracer: 'callTracer' }])) as CallFrame;
    expect(trace.to.toLowerCase()).toBe((await forwarder.getAddress()).toLowerCase());
    expect(trace.calls?.map((c) => ({ type: c.type, to: c.to.toLowerCase(), value: BigInt(c.value ?? 0) }))).toEqual([
      { type: 'CALL', to: to.toLowerCase(), value: parseEther('1.5') },
    ]);
  });
});

interface CallFrame {
  type: string;
  to: string;
  value?: string;
  calls?: CallFrame[];
}

describe('status-0 transactions', () => {
  it('Reverter.fail() with ETH is mined with status 0; only the gas is spent', async () => {
    const reverter = await deployReverter(deployer);
    const receipt = await sendFailingTx(deployer, { ...(await reverter.fail.populateTransaction()), value: parseEther('2') });
    expect(receipt.status).toBe(0);
    expect(receipt.logs).toEqual([]);
    expect(await provider.getBalance(await reverter.getAddress())).toBe(0n);
    // Read at the receipt's block and the one before: with automine the difference is this transaction alone.
    const spent =
      (await provider.getBalance(deployer.address, receipt.blockNumber - 1)) -
      (await provider.getBalance(deployer.address, receipt.blockNumber));
    expect(spent).toBe(receipt.fee);
  });

  it('a plain ETH transfer to Reverter is mined with status 0', async () => {
    const reverter = await deployReverter(deployer);
    const receipt = await sendFailingTx(deployer, { to: await reverter.getAddress(), value: parseEther('1') });
    expect(receipt.to).toBe(await reverter.getAddress());
    expect(await provider.getBalance(await reverter.getAddress())).toBe(0n);
  });

  it('a token transfer beyond the balance reverts: status 0, no log, no balance change', async () => {
    const to = freshAddress();
    const balance = await token.balanceOf(deployer.address);
    await expect(token.transfer.staticCall(to, balance + 1n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      revert: { name: 'InsufficientBalance' },
    });
    const receipt = await sendFailingTx(deployer, await token.transfer.populateTransaction(to, balance + 1n));
    expect(receipt.to).toBe(await token.getAddress());
    expect(receipt.logs).toEqual([]);
    expect([await token.balanceOf(deployer.address), await token.balanceOf(to)]).toEqual([balance, 0n]);
  });

  it('sendFailingTx refuses a transaction that went through', async () => {
    await expect(sendFailingTx(deployer, await token.transfer.populateTransaction(freshAddress(), 1n))).rejects.toMatchObject({
      code: 'FAILING_TX_SUCCEEDED',
      receipt: { status: 1 },
    });
  });
});
