export { ENVELOPE_VERSION, MAX_PLAINTEXT_BYTES, SecretBox, type UnreadableReason, kekId } from './SecretBox.js';
export { type KekFile, parseKekLines, readSecretBox } from './readSecretBox.js';
export { type SealedColumns, type SealedColumnsReport, prepareSealedColumns, sealedKeyCounts } from './prepareSealedColumns.js';
