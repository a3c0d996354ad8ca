// German strings of the escalation part of the UI (merged into ../de.ts), keyed by the ids given to msg().
// Strings with placeholders use str`…${0}…` from @lit/localize, as in ../de.ts.
import type { TemplateMap } from '@lit/localize';

export const escalation: TemplateMap = {
  'escalation.reason.suggestion': 'Deine Begleitperson schlägt vor, eine Beratungsperson dazuzuholen. Du entscheidest.',
  'escalation.reason.detector': 'Es klingt, als wäre gerade vieles sehr schwer. Damit musst du nicht allein sein.',
  'escalation.reason.student': 'Du möchtest mit einer Beratungsperson sprechen.',
  'escalation.note-from': 'Deine Begleitperson',
  'escalation.you': 'Du',
  'escalation.status.sending': 'Eine Beratungsperson deiner Schule wird gefragt…',
  'escalation.status.waiting': 'Eine Beratungsperson deiner Schule wurde in einen neuen privaten Chat mit dir eingeladen.',
  'escalation.status.waiting-share': 'Was du zum Teilen ausgewählt hast, wird gesendet, sobald sie da ist.',
  'escalation.ok': 'OK',
  'escalation.status.joined': 'Eine Beratungsperson ist jetzt in deinem privaten Chat.',
  'escalation.status.shared': 'Eine Beratungsperson ist jetzt da, und was du ausgewählt hast, wurde mit ihr geteilt.',
  'escalation.problem.refused': 'Die Beratung konnte nicht erreicht werden. Bitte versuch es noch einmal.',
  'escalation.problem.network': 'Gerade gibt es keine Verbindung, deshalb wurde niemand kontaktiert. Bitte versuch es noch einmal. Wenn du in Gefahr bist, nutze die Krisendienste.',
  'escalation.close': 'Schließen',
  'escalation.retry': 'Noch einmal versuchen',
  'escalation.notice.title': 'Hilfe ist da, wenn du sie brauchst',
  'escalation.notice.dismiss': 'Jetzt nicht',
  'escalation.notice.talk': 'Mit einer Beratungsperson sprechen',
};
