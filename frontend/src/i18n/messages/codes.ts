/** Personalised answer sheets (QR codes): how a scanned copy came in. */
export default {
  fr: {
    byCode: 'Identifiée par code',
    byCodeTitle: 'Identifiée sans lecture d’écriture : le code imprimé sur la feuille désigne l’élève.',
    missing: 'Page manquante : {pages} | Pages manquantes : {pages}',
    duplicate: 'Page scannée deux fois : {pages} | Pages scannées deux fois : {pages}',
  },
  en: {
    byCode: 'Identified by code',
    byCodeTitle: 'Identified without reading handwriting: the code printed on the sheet names the student.',
    missing: 'Missing page: {pages} | Missing pages: {pages}',
    duplicate: 'Page scanned twice: {pages} | Pages scanned twice: {pages}',
  },
}
