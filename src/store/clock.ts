// The clock lives in util (the controller uses it too, and must not depend on store).
export { MAX_TIMER_MS, systemClock, FakeClock } from '../util/clock.js';
