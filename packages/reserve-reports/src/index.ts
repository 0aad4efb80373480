export { type BuildReserveReportOptions, type ReserveHolding, type ReserveReport, buildReserveReport } from './buildReserveReport.js';
export { type ReserveReportSummary, listReserveReports } from './listReserveReports.js';
export { type ReserveProof, reserveProof } from './reserveProof.js';
