// German strings of the chat part of the UI (merged into ../de.ts), keyed by the ids given to msg().
// Strings with placeholders use str`…${0}…` from @lit/localize, as in ../de.ts.
import { str, type TemplateMap } from '@lit/localize';

export const chat: TemplateMap = {
  'timeline.seen': 'Gesehen',
  'timeline.queued': 'Wartet auf die Verbindung – wird gesendet, sobald du wieder online bist',
  'timeline.someone': 'Jemand',
  'timeline.report': 'Melden',
  'timeline.report-label': str`Nachricht von ${0} melden`,
  'timeline.older': 'Ältere Nachrichten anzeigen',
  'timeline.older-loading': 'Ältere Nachrichten werden geladen …',
  'timeline.start': 'Hier beginnt das Gespräch.',
  'rooms.kind.group': 'Selbsthilfegruppe',
  'rooms.kind.escalation': 'Gespräch mit einer Beratungsperson',
  'rooms.kind.peer': 'Unterstützungsgespräch',
  'chat.typing-one': str`${0} schreibt …`,
  'chat.typing-many': str`${0} schreiben …`,
  'chat.appear-as': str`Du erscheinst hier als ${0}`,
  'chat.escalate': 'Mit einer Beratungsperson sprechen',
  'chat.leave': 'Gespräch verlassen',
  'chat.leave-failed': 'Das Gespräch konnte nicht verlassen werden. Prüfe deine Verbindung und versuche es noch einmal.',
  'chat.offline': 'Offline – Nachrichten werden gesendet, sobald du wieder online bist',
  'chat.leave-title': 'Dieses Gespräch verlassen?',
  'chat.leave-text': 'Du siehst seine Nachrichten dann nicht mehr, und die anderen sehen, dass du gegangen bist.',
  'chat.leave-cancel': 'Bleiben',
  'chat.leave-confirm': 'Verlassen',
};
