export { SALT_BYTES, accountCommitment, newClientSalt } from './accountCommitment.js';
export { type ProofStep, type SumLeaf, type SumTree, buildSumTree, proofOf } from './buildSumTree.js';
export { MAX_SUM, PADDING_HASH, Prefix, SUM_BYTES, type SumNode, encodeSum, leafNode, parentNode } from './nodeHash.js';
export { ReservesError, type ReservesErrorCode, isReservesError } from './ReservesError.js';
export { verifySumProof } from './verifySumProof.js';
