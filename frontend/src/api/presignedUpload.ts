/**
 * Direct browser → object storage upload through a pre-signed POST.
 *
 * Uses XMLHttpRequest (not fetch) for `upload.onprogress`. The request goes to
 * another origin that must never see the session: no cookies
 * (`withCredentials = false`) and no CSRF header (no custom header at all, so
 * no CORS preflight either). The form fields of the pre-signed policy come
 * first and the file last, under the name `file`, as S3 requires.
 */
import { ApiError } from './client'

export interface UploadProgress {
  loaded: number
  total: number
  /** 0..100, rounded down; null when the browser cannot compute it. */
  percent: number | null
}

export interface PresignedPostOptions {
  onProgress?: (progress: UploadProgress) => void
  signal?: AbortSignal
}

/** The form body of a pre-signed POST: every policy field, then the file. */
export function buildPresignedForm(fields: Record<string, string>, file: Blob, filename?: string): FormData {
  const form = new FormData()
  for (const [key, value] of Object.entries(fields)) form.append(key, value)
  const name = filename ?? (typeof File !== 'undefined' && file instanceof File ? file.name : 'upload.pdf')
  form.append('file', file, name)
  return form
}

/** The local gateway refuses with Korrigo's JSON error format: its message, if that is what came. */
function jsonErrorMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body)
    const message = (parsed as { error?: { message?: unknown } })?.error?.message
    return typeof message === 'string' ? message : ''
  } catch {
    return ''
  }
}

/**
 * The client-side code of a storage refusal, which the interface words in the user's language
 * (`errors.code.*`): too large, link expired, or refused.
 */
export function storageErrorCode(body: string): string {
  const code = /<Code>([^<]*)<\/Code>/i.exec(body)?.[1]?.trim() ?? ''
  const message = /<Message>([^<]*)<\/Message>/i.exec(body)?.[1]?.trim() ?? jsonErrorMessage(body)
  if (code === 'EntityTooLarge') return 'payload_too_large'
  if ((code === 'AccessDenied' || !code) && /expired/i.test(message)) return 'upload_link_expired'
  return 'storage_rejected'
}

/** Best-effort reading of a storage error: S3's XML (`<Code>`, `<Message>`) or the local gateway's JSON. */
export function storageErrorMessage(status: number, body: string): string {
  const code = /<Code>([^<]*)<\/Code>/i.exec(body)?.[1]?.trim() ?? ''
  const message = /<Message>([^<]*)<\/Message>/i.exec(body)?.[1]?.trim() ?? jsonErrorMessage(body)
  if (code === 'EntityTooLarge') return 'The file is larger than the storage accepts.'
  if ((code === 'AccessDenied' || !code) && /expired/i.test(message)) {
    return 'The upload link expired before the file was sent. Please try again.'
  }
  const detail = message || code
  return detail
    ? `The storage refused the file (HTTP ${status}): ${detail}`
    : `The storage refused the file (HTTP ${status}).`
}

/**
 * POSTs `file` to the pre-signed `url`. Resolves on any 2xx (S3 answers 204),
 * rejects with an `ApiError` otherwise (status 0 for a network failure) or a
 * `DOMException('AbortError')` when `signal` aborts.
 */
export function uploadToPresignedPost(
  url: string,
  fields: Record<string, string>,
  file: Blob,
  options: PresignedPostOptions = {},
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { onProgress, signal } = options
    if (signal?.aborted) {
      reject(new DOMException('The upload was cancelled.', 'AbortError'))
      return
    }

    const xhr = new XMLHttpRequest()
    xhr.open('POST', url, true)
    xhr.withCredentials = false

    const report = (loaded: number, total: number, computable: boolean): void => {
      if (!onProgress) return
      const percent = computable && total > 0 ? Math.min(100, Math.floor((loaded / total) * 100)) : null
      onProgress({ loaded, total, percent })
    }

    xhr.upload.onprogress = (event: ProgressEvent) => {
      report(event.loaded, event.total, event.lengthComputable)
    }

    const onAbortSignal = (): void => xhr.abort()
    signal?.addEventListener('abort', onAbortSignal, { once: true })
    const cleanup = (): void => signal?.removeEventListener('abort', onAbortSignal)

    xhr.onload = () => {
      cleanup()
      if (xhr.status >= 200 && xhr.status < 300) {
        report(file.size, file.size, true)
        resolve()
      } else {
        const body = typeof xhr.responseText === 'string' ? xhr.responseText : ''
        reject(new ApiError(xhr.status, storageErrorCode(body), storageErrorMessage(xhr.status, body)))
      }
    }
    xhr.onerror = () => {
      cleanup()
      reject(new ApiError(0, 'network_error', 'The upload failed: the storage could not be reached. Check your connection and try again.'))
    }
    xhr.ontimeout = () => {
      cleanup()
      reject(new ApiError(0, 'timeout', 'The upload timed out. Please try again.'))
    }
    xhr.onabort = () => {
      cleanup()
      reject(new DOMException('The upload was cancelled.', 'AbortError'))
    }

    xhr.send(buildPresignedForm(fields, file))
  })
}

export function isAbortError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError'
}
