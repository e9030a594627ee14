export { StatisticsApp, STATISTICS_APP_ID, type StatisticsOptions, type PortStatistics } from './app.js';
export { portRates, utilisation, MIN_RATE_INTERVAL_MS, type PortRates, type PortSample } from './rates.js';
