/**
 * `<input type="datetime-local">` values ("2025-06-12T08:30", the person's
 * local time, no zone) to and from ISO 8601 instants in UTC for the API.
 */

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/

/**
 * "2025-06-12T08:30" (local) → "2025-06-12T06:30:00Z" in Paris summer time.
 * Null for an empty or invalid value.
 */
export function localInputToIsoUtc(value: string): string | null {
  const m = LOCAL_RE.exec(value.trim())
  if (!m) return null
  const [, y, mo, d, h, mi, s, ms] = m
  const date = new Date(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s ?? 0),
    Number((ms ?? '0').padEnd(3, '0')),
  )
  if (Number.isNaN(date.getTime())) return null
  return date.toISOString().replace('.000Z', 'Z')
}

/** An ISO instant → the datetime-local value in local time (minutes); '' when invalid. */
export function isoToLocalInput(value: string | null | undefined): string {
  if (!value) return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return ''
  const p = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`
}
