/**
 * Sentences for the API's errors. `code` is the envelope's stable code (one per HTTP
 * meaning); `reason` is the precise cause some errors add (`error.reason`), with the
 * values of `error.params` available as `{name}`.
 */
export default {
  fr: {
    generic: 'Une erreur est survenue. Veuillez réessayer.',
    server: 'Le serveur a rencontré un problème (HTTP {status}). Veuillez réessayer.',
    rateLimited: {
      later: 'Trop de tentatives. Réessayez plus tard.',
      seconds: 'Trop de tentatives. Réessayez dans {n} seconde | Trop de tentatives. Réessayez dans {n} secondes',
      minutes: 'Trop de tentatives. Réessayez dans {n} minute | Trop de tentatives. Réessayez dans {n} minutes',
    },
    code: {
      bad_request: 'La demande est invalide.',
      validation_error: 'Certaines valeurs sont invalides.',
      unauthenticated: 'Votre session a pris fin : reconnectez-vous.',
      forbidden: 'Vous n’avez pas l’autorisation de faire cela.',
      not_found: 'Introuvable.',
      conflict: 'Les données ont changé entre-temps : rechargez la page et réessayez.',
      payload_too_large: 'Le fichier ou la demande est trop volumineux.',
      unsupported_media_type: 'Ce type de fichier n’est pas accepté.',
      unprocessable: 'Le contenu n’a pas pu être traité.',
      too_many_requests: 'Trop de tentatives. Réessayez plus tard.',
      rate_limited: 'Trop de tentatives. Réessayez plus tard.',
      network_error: 'Le serveur est injoignable. Vérifiez votre connexion et réessayez.',
      invalid_response: 'Le serveur a envoyé une réponse inattendue.',
      csrf_failed: 'La page a expiré : rechargez-la et réessayez.',
    },
    reason: {},
  },
  en: {
    generic: 'Something went wrong. Please try again.',
    server: 'The server had a problem (HTTP {status}). Please try again.',
    rateLimited: {
      later: 'Too many attempts. Try again later.',
      seconds: 'Too many attempts. Try again in {n} second. | Too many attempts. Try again in {n} seconds.',
      minutes: 'Too many attempts. Try again in {n} minute. | Too many attempts. Try again in {n} minutes.',
    },
    code: {
      bad_request: 'The request is not valid.',
      validation_error: 'Some values are not valid.',
      unauthenticated: 'Your session has ended: sign in again.',
      forbidden: 'You do not have permission to do this.',
      not_found: 'Not found.',
      conflict: 'The data changed meanwhile: reload the page and try again.',
      payload_too_large: 'The file or request is too large.',
      unsupported_media_type: 'This type of file is not accepted.',
      unprocessable: 'The content could not be processed.',
      too_many_requests: 'Too many attempts. Try again later.',
      rate_limited: 'Too many attempts. Try again later.',
      network_error: 'Cannot reach the server. Check your connection and try again.',
      invalid_response: 'The server sent an unexpected answer.',
      csrf_failed: 'The page has expired: reload it and try again.',
    },
    reason: {},
  },
}
