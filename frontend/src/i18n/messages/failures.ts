/**
 * Failure reasons stored on records (a FAILED scan's `error_reason`, a copy's render failure), worded in
 * both languages; `{size}`-like values come from the record's params (`lib/failures.ts` formats them).
 * A record with an unknown or no reason shows its stored English sentence.
 */
export default {
  fr: {
    file_empty: 'Le fichier est vide : déposez le scan à nouveau.',
    file_too_large: 'Le fichier fait {size}, au-delà de la limite de {limit} : découpez le scan en plusieurs fichiers.',
    file_larger_than_announced:
      'Le fichier reçu ({size}) est plus gros que la taille annoncée pour ce dépôt ({declared}) : il n’a pas été traité. Déposez-le à nouveau.',
    not_a_pdf: 'Le fichier n’est pas un PDF{kind} : déposez le scan au format PDF.',
    not_a_pdf_kind: ' (il ressemble à du {kind})',
    pdf_damaged: 'Le PDF est endommagé et ne peut pas être ouvert ({detail}) : exportez ou scannez-le à nouveau.',
    pdf_encrypted:
      'Le PDF est chiffré (protégé par mot de passe) : exportez ou scannez-le à nouveau sans mot de passe.',
    pdf_repaired:
      'Le PDF est endommagé ou incomplet (sa structure a dû être réparée, des pages peuvent manquer ou être blanches) : déposez à nouveau le fichier complet, ou exportez ou scannez-le à nouveau.',
    pdf_no_pages: 'Le PDF n’a aucune page.',
    pdf_too_many_pages:
      'Le PDF a {count} pages, au-delà de la limite de {limit} pages par dépôt : découpez le scan en plusieurs fichiers.',
    page_unreadable: 'La page {page} ne peut pas être lue ({detail}) : le PDF est endommagé ; exportez ou scannez-le à nouveau.',
    page_invalid_size:
      'La page {page} a une taille invalide ({width} × {height} points) : le PDF est endommagé ; exportez ou scannez-le à nouveau.',
    page_too_large:
      'La page {page} est trop grande : {width} × {height} pouces donneraient {megapixels} millions de pixels à {dpi} DPI, au-delà de la limite de {limit} millions. Scannez-la à nouveau à un format de papier normal (A4 ou A3).',
    page_unrenderable:
      'La page {page} ne peut pas être affichée ({detail}) : le PDF est endommagé ; exportez ou scannez-le à nouveau.',
    pdf_render_limits:
      'Le PDF n’a pas pu être traité dans les limites ({seconds} s, {memory_mb} Mo de mémoire). Il est peut-être conçu pour épuiser le serveur ; exportez ou scannez-le à nouveau comme un scan ordinaire.',
    scan_failed_repeatedly:
      'Le traitement a échoué à plusieurs reprises ; le scan a été mis de côté. Déposez-le à nouveau ou contactez le support.',
    scan_too_late: 'Le scan n’a pas été traité à temps (le traitement s’est arrêté) : déposez-le à nouveau.',
    scan_no_file: 'Aucun fichier n’a été reçu pour ce dépôt en une journée : déposez le scan à nouveau.',
    render_too_late: 'La génération de la copie corrigée ne s’est pas terminée à temps ; relancez-la.',
    render_not_queued: 'La génération de la copie corrigée n’a pas pu être lancée ({detail}) ; relancez-la.',
    render_spec_unusable: 'Les données de génération de la copie corrigée sont inutilisables ({detail}) ; relancez-la.',
    render_failed: 'Le PDF corrigé n’a pas pu être généré ({detail}) ; relancez-le.',
  },
  en: {
    file_empty: 'The file is empty: upload the scan again.',
    file_too_large: 'The file is {size}, above the {limit} limit: split the scan into smaller files.',
    file_larger_than_announced:
      'The file received ({size}) is larger than the size announced for this upload ({declared}): it was not processed. Upload it again.',
    not_a_pdf: 'The file is not a PDF{kind}: upload the scan as a PDF file.',
    not_a_pdf_kind: ' (it looks like {kind})',
    pdf_damaged: 'The PDF is damaged and cannot be opened ({detail}): export or scan it again.',
    pdf_encrypted: 'The PDF is encrypted (password-protected): export or scan it again without a password.',
    pdf_repaired:
      'The PDF is damaged or truncated (its structure had to be repaired, so pages may be missing or blank): upload the complete file again, or export or scan it again.',
    pdf_no_pages: 'The PDF has no pages.',
    pdf_too_many_pages: 'The PDF has {count} pages, above the limit of {limit} pages per upload: split the scan into smaller files.',
    page_unreadable: 'Page {page} cannot be read ({detail}): the PDF is damaged; export or scan it again.',
    page_invalid_size: 'Page {page} has an invalid size ({width} x {height} points): the PDF is damaged; export or scan it again.',
    page_too_large:
      'Page {page} is too large: {width} x {height} inches would be {megapixels} million pixels at {dpi} DPI, above the limit of {limit} million. Scan it again at a normal paper size (A4 or A3).',
    page_unrenderable: 'Page {page} cannot be rendered ({detail}): the PDF is damaged; export or scan it again.',
    pdf_render_limits:
      'The PDF could not be rendered within the limits ({seconds} s, {memory_mb} MB of memory). It may be built to exhaust the server; export or scan it again as a plain scan.',
    scan_failed_repeatedly: 'Processing failed repeatedly; the scan was set aside. Upload it again or contact support.',
    scan_too_late: 'The scan was not processed in time (the processing stopped); upload it again.',
    scan_no_file: 'No file was received for this upload within a day; upload the scan again.',
    render_too_late: 'The render did not finish in time; retry it.',
    render_not_queued: 'The render could not be queued ({detail}); retry it.',
    render_spec_unusable: 'The render spec cannot be used ({detail}); retry it.',
    render_failed: 'The final PDF could not be rendered ({detail}); retry it.',
  },
}
