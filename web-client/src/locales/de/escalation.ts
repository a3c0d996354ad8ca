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
  // Withdrawing while waiting for a counsellor.
  'escalation.withdraw': 'Zurückziehen – bisher wurde nichts geteilt',
  'escalation.withdraw.question': 'Deine Zustimmung zurückziehen?',
  'escalation.withdraw.explain': 'Es wird keine Beratungsperson hinzugeholt, und nichts von dem, was du ausgewählt hast, wird gesendet. Es wird von diesem Gerät gelöscht.',
  'escalation.withdraw.keep': 'Weiter warten',
  'escalation.withdraw.yes': 'Ja, zurückziehen',
  'escalation.withdraw.working': 'Wird zurückgezogen …',
  'escalation.withdraw.failed': 'Deine Zustimmung konnte nicht zurückgezogen werden (keine Verbindung). Bisher wurde nichts geteilt. Bitte versuch es noch einmal.',
  'escalation.status.withdrawn': 'Du hast deine Zustimmung zurückgezogen. Es wurde nichts geteilt, und keine Beratungsperson kommt dazu.',
  'escalation.status.too-late': 'Eine Beratungsperson ist kurz vor deinem Zurückziehen beigetreten, deshalb bleibt der Chat offen. Nichts von dem, was du ausgewählt hast, wurde gesendet. Du kannst den Chat jederzeit verlassen.',
  'escalation.status.too-late-shared': 'Eine Beratungsperson war schon da, und was du ausgewählt hast, wurde geteilt. Deshalb konnte deine Zustimmung nicht zurückgezogen werden. Du kannst den Chat jederzeit verlassen.',
};
