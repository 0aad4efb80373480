// Hand-assembled EVM bytecode for the tests and the benchmark: they need contracts before the Solidity ones of
// test/contracts exist, and bytes written out opcode by opcode are easy to audit.

/** keccak256('Transfer(address,address,uint256)'), the ERC20 Transfer event's topic0. */
const transferTopic = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

/**
 * Runtime code of a "token" that emits whatever Transfer log its calldata describes. Calldata is six 32-byte
 * words: from, to, amount, data size, extra topic (a 4th topic when non-zero), revert flag (non-zero: revert after
 * logging, so the log is discarded with the failed transaction).
 */
export const transferEmitterRuntime = [
  ['6040', 'PUSH1 0x40'],
  ['35', 'CALLDATALOAD          amount'],
  ['6000', 'PUSH1 0x00'],
  ['52', 'MSTORE                memory[0..32) = amount'],
  ['6080', 'PUSH1 0x80'],
  ['35', 'CALLDATALOAD          extra topic'],
  ['6020', 'PUSH1 0x20'],
  ['35', 'CALLDATALOAD          to (topic2)'],
  ['6000', 'PUSH1 0x00'],
  ['35', 'CALLDATALOAD          from (topic1)'],
  [`7f${transferTopic}`, 'PUSH32 Transfer      topic0'],
  ['6060', 'PUSH1 0x60'],
  ['35', 'CALLDATALOAD          data size'],
  ['6000', 'PUSH1 0x00            data offset; stack: offset size topic0 from to extra'],
  ['85', 'DUP6                  extra'],
  ['603d', 'PUSH1 0x3d            (four)'],
  ['57', 'JUMPI                 extra != 0: emit four topics'],
  ['a3', 'LOG3                  leaves extra (0)'],
  ['603f', 'PUSH1 0x3f            (logged)'],
  ['56', 'JUMP'],
  ['5b', 'JUMPDEST 0x3d four'],
  ['a4', 'LOG4'],
  ['5b', 'JUMPDEST 0x3f logged'],
  ['60a0', 'PUSH1 0xa0'],
  ['35', 'CALLDATALOAD          revert flag'],
  ['6047', 'PUSH1 0x47            (fail)'],
  ['57', 'JUMPI'],
  ['00', 'STOP'],
  ['5b', 'JUMPDEST 0x47 fail'],
  ['6000', 'PUSH1 0x00'],
  ['80', 'DUP1'],
  ['fd', 'REVERT'],
]
  .map(([code]) => code)
  .join('');

/** Runtime code that rejects everything, value included: PUSH1 0, PUSH1 0, REVERT. */
export const revertingRuntime = '60006000fd';

/**
 * Init code that deploys `runtime` as is.
 * @param runtime runtime bytecode, hex without 0x, at most 255 bytes
 * @returns 0x-prefixed init code
 */
export function deploymentCode(runtime: string): `0x${string}` {
  const length = runtime.length / 2;
  if (!Number.isInteger(length) || length > 0xff) throw new Error('runtime must be whole bytes, at most 255');
  // 60 len    PUSH1 len
  // 80        DUP1
  // 60 0b     PUSH1 0x0b    the runtime starts after these 11 bytes
  // 60 00     PUSH1 0x00
  // 39        CODECOPY      memory[0..len) = code[0x0b..0x0b+len)
  // 60 00     PUSH1 0x00
  // f3        RETURN        memory[0..len)
  return `0x60${length.toString(16).padStart(2, '0')}80600b6000396000f3${runtime}`;
}

/**
 * Calldata for {@link transferEmitterRuntime}.
 * @param log.dataSize bytes of log data; @default 32 (a well-formed Transfer)
 * @param log.extraTopic a 4th topic (non-zero) to emit a malformed Transfer
 * @param log.revert revert after logging
 */
export function transferCalldata(log: {
  from: string;
  to: string;
  amount: bigint;
  dataSize?: number;
  extraTopic?: bigint;
  revert?: boolean;
}): `0x${string}` {
  const word = (value: bigint): string => value.toString(16).padStart(64, '0');
  return `0x${[
    BigInt(log.from),
    BigInt(log.to),
    log.amount,
    BigInt(log.dataSize ?? 32),
    log.extraTopic ?? 0n,
    log.revert === true ? 1n : 0n,
  ]
    .map(word)
    .join('')}`;
}
