/** Plain words for every status the API returns (never a raw code on screen). */
export default {
  fr: {
    copy: {
      STAGING: 'À identifier',
      READY: 'Prête à corriger',
      LOCKED: 'En correction',
      GRADING_IN_PROGRESS: 'Finalisation en cours',
      GRADING_FAILED: 'Échec de la finalisation',
      GRADED: 'Corrigée',
    },
    upload: {
      UPLOADED: 'Déposé',
      PROCESSING: 'En traitement',
      DONE: 'Traité',
      FAILED: 'Échec',
      DELETED: 'Supprimé',
    },
    uploadMode: {
      BATCH: 'Scan groupé',
      INDIVIDUAL: 'Un PDF par copie',
    },
    job: {
      PENDING: 'En attente',
      RUNNING: 'En cours',
      DONE: 'Terminé',
      FAILED: 'Échec',
    },
  },
  en: {
    copy: {
      STAGING: 'To identify',
      READY: 'Ready',
      LOCKED: 'Being graded',
      GRADING_IN_PROGRESS: 'Rendering',
      GRADING_FAILED: 'Render failed',
      GRADED: 'Graded',
    },
    upload: {
      UPLOADED: 'Uploaded',
      PROCESSING: 'Processing',
      DONE: 'Done',
      FAILED: 'Failed',
      DELETED: 'Deleted',
    },
    uploadMode: {
      BATCH: 'Batch scan',
      INDIVIDUAL: 'One PDF per copy',
    },
    job: {
      PENDING: 'Pending',
      RUNNING: 'Running',
      DONE: 'Done',
      FAILED: 'Failed',
    },
  },
}
