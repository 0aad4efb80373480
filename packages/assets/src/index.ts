export {
  BaseUnits,
  MAX_DECIMAL65,
  MAX_UINT256,
  PositiveBaseUnits,
  baseUnitsToDecimal,
  decimalToBaseUnits,
  parseSignedUnits,
} from './amount.js';
export {
  AssetId,
  AssetRegistry,
  type AssetSpec,
  ChainId,
  ChainKind,
  type ChainSpec,
  Network,
  type RegistryInput,
  assetRegistryEnv,
  devRegistryInput,
} from './registry.js';
export { withdrawalFeeOf } from './withdrawalFee.js';
