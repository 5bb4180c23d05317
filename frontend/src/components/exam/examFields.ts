/** The words of the exam form's fields, for the server's field errors (`fieldErrors(err, examFieldLabels())`). */
import { t } from '../../i18n'

export function examFieldLabels(): Record<string, string> {
  return {
    name: t('exam.form.name'),
    subject: t('exam.form.subject'),
    date: t('exam.form.date'),
    upload_mode: t('exam.form.mode'),
    pages_per_copy: t('exam.form.pages'),
    split_a3: t('exam.form.splitA3'),
  }
}
