/**
 * Getting files to the person: a Blob fetched by the app (CSV exports) is saved
 * through a temporary object URL, and a pre-signed link (the graded PDF) is
 * opened by navigating to it (the server sends it as an attachment, so the
 * page stays where it is).
 */

/** Saves a Blob under a file name (a click on a temporary `<a download>`). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.rel = 'noopener'
  link.style.display = 'none'
  document.body.appendChild(link)
  try {
    link.click()
  } finally {
    link.remove()
    // Some browsers read the URL after the click returns: revoke a bit later.
    setTimeout(() => URL.revokeObjectURL(url), 30_000)
  }
}

/** Navigates the window to a URL (here: a short-lived download link). */
export function navigateTo(url: string): void {
  window.location.assign(url)
}
