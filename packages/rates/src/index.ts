export { type FeeRate, FeeRateCollector, type FeeRateCollectorOptions, type FeeSource, freshFeeRate, latestFeeRates } from './feeRates.js';
export {
  type FiatProvider,
  FiatProviderConfig,
  type Prices,
  createFiatProvider,
  exchangeRatesProvider,
  simplePriceProvider,
  toDecimal,
} from './fiatProviders.js';
export { type FiatRate, FiatRateRefresher, type FiatRateRefresherOptions, listFiatRates } from './fiatRates.js';
