// Report times from epoch ms, without a clock or Date: the core stays pure and replayable.

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days). */
function civil(days: number): { y: number; m: number; d: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

/** Epoch milliseconds as UTC ISO 8601 (what Date#toISOString gives for years 0–9999). */
export function utcIso(ms: number): string {
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  const rest = t - days * 86_400_000;
  const { y, m, d } = civil(days);
  const hh = Math.floor(rest / 3_600_000);
  const mm = Math.floor((rest % 3_600_000) / 60_000);
  const ss = Math.floor((rest % 60_000) / 1000);
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(hh)}:${pad(mm)}:${pad(ss)}.${pad(rest % 1000, 3)}Z`;
}

/** A UTC ISO 8601 time as people read it in a report: "2026-02-12 07:00:00 UTC". */
export function humanUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** A duration for people: "45 s", "3 min 5 s", "2 h 0 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${s % 60} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (the inverse of civil). */
function daysFrom(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// "7:M 12 Feb 2026 06:58:01.034 # …": Redis 3.2 and later. Older lines carry no year and are not dated.
const REDIS_LOG_TIME =
  /^\s*\d+:[XCSM] (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2})\.(\d{3}) /;

/** The time a Redis log line was written, read as UTC (epoch ms); undefined if the line has none. */
export function redisLogTime(line: string): number | undefined {
  const m = REDIS_LOG_TIME.exec(line);
  if (!m) return undefined;
  const [d, mon, y, hh, mm, ss, ms] = [m[1], m[2], m[3], m[4], m[5], m[6], m[7]];
  const month = MONTHS.indexOf(mon ?? '') + 1;
  const n = [d, y, hh, mm, ss, ms].map(Number) as [number, number, number, number, number, number];
  if (n[0] < 1 || n[0] > 31 || n[2] > 23 || n[3] > 59 || n[4] > 60) return undefined;
  return daysFrom(n[1], month, n[0]) * 86_400_000 + n[2] * 3_600_000 + n[3] * 60_000 + n[4] * 1000 + n[5];
}

/** A time within the incident: "07:00:09 UTC" on the day it opened, else the full date. */
export function shortUtc(iso: string, dayIso: string): string {
  return iso.slice(0, 10) === dayIso.slice(0, 10) ? `${iso.slice(11, 19)} UTC` : humanUtc(iso);
}
